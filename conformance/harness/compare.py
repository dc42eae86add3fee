"""Judge backend results against the float64 reference, the cases' expectations and each other.

Three judgements, one case at a time:

1. each column against the reference and the case's `expect` (`spec.tolerance`:
   bound(dtype) + bound(float64) from the reference; the expect's atol, else the same);
2. where a column fails, the documented differences (spec/differences.py) that apply to it:
   one that accounts for every problem turns the cell "known", never a pass;
3. every pair of columns that each passed 1, within twice bound(dtype) of each other.

Each case is parsed once and its reference result computed once; then each column's result
is decoded once and judged once against it (its error and its share of the tolerance from
the same numbers). A case that expects an error must raise exactly that exception type. A
backend that fails against the reference is reported once, not again against every other
backend.
"""

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from convsuite.conformance.harness import results as results_file
from convsuite.conformance.harness.judge import Judgement, ResultLike, Tolerances, judge
from convsuite.conformance.harness.outcome import Cell, Failure, Known, Outcome
from convsuite.conformance.harness.results import Document, Result, decode, error_of, error_result, raised
from convsuite.conformance.harness.runner import applies, as_numpy, compute
from convsuite.conformance.harness.status import Status
from convsuite.spec import cases, differences, reference, tolerance
from convsuite.spec.cases import RawCase

REFERENCE = "reference"
EXPECT = "the case's expect"

# A result with its array fields decoded (`results.decode`): float64 arrays.
Decoded = dict[str, object]


@dataclass(frozen=True)
class Judged:
    """One case as compare sees it: parsed once (None where parsing raised: the reference
    raised, and it is judged by error type only), the reference's result (its fields
    float64 arrays), the case's target and the tolerances."""

    id: str
    raw: RawCase
    case: cases.Case | None
    expected: Decoded
    ref_tol: Tolerances
    pair_tol: Tolerances
    target: ResultLike | None  # the case's expect (None where it has none)
    target_tol: Tolerances

    @property
    def fields(self) -> tuple[str, ...]:
        return self.case.outputs if self.case else ()


@dataclass(frozen=True)
class Column:
    """One column of the matrix: a backend's path and its results by case id."""

    name: str  # "torch" for the fast path, "torch:builtin" for another
    path: str
    results: dict[str, Result]


def judged(raw: RawCase) -> Judged:
    """The case, parsed and computed by the reference, once."""
    try:
        case = cases.parse(raw)
    except Exception as exc:  # the reference raises it too; judge by error type only
        return Judged(raw["id"], raw, None, dict(error_result(raw["id"], exc)), {}, {}, _raw_expectation(raw), {})
    target, target_tol = _expectation(case)
    return Judged(raw["id"], raw, case, _reference_result(case), tolerance.versus_reference(case),
                  tolerance.between_backends(case), target, target_tol)


def _reference_result(case: cases.Case) -> Decoded:
    """The reference's result of the case, its fields as float64 arrays (the numbers `run`
    would write of it: the reference computes in float64)."""
    try:
        outputs = compute(reference, case)
        return {"id": case.id, **{f: decode(as_numpy(reference, outputs[f])) for f in case.outputs}}
    except Exception as exc:  # one bad case never stops the others
        return dict(error_result(case.id, exc))


def _expectation(case: cases.Case) -> tuple[ResultLike | None, Tolerances]:
    """The case's `expect` as a target and its tolerance (its atol, else the derived one)."""
    if case.expect is None:
        return None, {}
    if "error" in case.expect:
        return {"error": case.expect["error"]}, {}
    target = {k: v for k, v in case.expect.items() if k != "atol"}
    if "atol" in case.expect:
        return target, {k: case.expect["atol"] for k in target}
    return target, tolerance.versus_reference(case)


def _raw_expectation(raw: RawCase) -> ResultLike | None:
    expect = raw.get("expect")
    if isinstance(expect, dict) and isinstance(expect.get("error"), str):
        return {"error": expect["error"]}
    return None


def _cell(judgement: Judgement, result: ResultLike) -> Cell:
    kind = Status.FAIL if judgement.failures else (Status.RAISES if "error" in result else Status.AGREE)
    return Cell(kind, error=judgement.error, ratio=judgement.ratio, raised=raised(result))


def judge_reference(j: Judged) -> tuple[Cell, list[Failure]]:
    """The reference against the case's expect (unchecked where there is none). A case the
    reference raises on must expect that error: without `expect: {"error": ...}` it is a
    broken case (a misspelt field, a wrong shape), never one that every backend passes by
    raising the same."""
    if j.target is None:
        error = error_of(j.expected)
        if error is None:
            return Cell(Status.UNCHECKED), []
        return Cell(Status.FAIL, raised=error["type"]), [Failure("broken-case", REFERENCE, j.id, error=error)]
    judgement = judge(j.expected, j.target, tol=j.target_tol, fields=j.fields, against=EXPECT, column=REFERENCE,
                      case=j.id, kind="expect")
    return _cell(judgement, j.expected), judgement.failures


def judge_column(j: Judged, name: str, result: Decoded) -> tuple[Cell, list[Failure]]:
    """Judgement 1: one column's result against the reference and the case's expect."""
    judgement = judge(result, j.expected, tol=j.ref_tol, fields=j.fields, against="the reference", column=name,
                      case=j.id)
    failures = list(judgement.failures)
    if j.target is not None and "error" not in j.target:
        failures += judge(result, j.target, tol=j.target_tol, fields=j.fields, against=EXPECT, column=name,
                          case=j.id, kind="expect").failures
    return _cell(Judgement(judgement.error, judgement.ratio, failures), result), failures


def documented_difference(j: Judged, name: str, result: Decoded) -> Known | None:
    """Judgement 2: the documented difference that accounts for every problem of a failing
    column, or None."""
    for known in differences.matching(name, j.case) if j.case else ():
        excused = known.excused(result, j.expected)
        if not judge(excused, j.expected, tol=j.ref_tol, fields=j.fields, against="", column=name,
                     case=j.id).failures:
            return Known(name, j.id, known.name, known.why)
    return None


def _decoded(result: Result, fields: Iterable[str]) -> Decoded:
    """The result with its array fields as float64 arrays (`results.decode`), once."""
    found: Mapping[str, object] = result
    return {**found, **{f: decode(found[f]) for f in fields if f in found}}


def judge_pairs(j: Judged, passed: Mapping[str, Decoded]) -> list[Failure]:
    """Judgement 3: backends that each passed the reference must also agree with each other,
    within twice bound(dtype): tighter than the reference allows each (bound(float64) more)."""
    failures: list[Failure] = []
    names = list(passed)
    for i, first in enumerate(names):
        for second in names[i + 1 :]:
            failures += judge(passed[second], passed[first], tol=j.pair_tol, fields=j.fields, against=first,
                              column=second, case=j.id, kind="pair").failures
    return failures


def _columns(documents: Sequence[Document], outcome: Outcome) -> dict[str, Column | None]:
    """column name -> its Column, None for a skipped backend."""
    columns: dict[str, Column | None] = {}
    backends: set[str] = set()
    for doc in documents:
        if doc["backend"] in backends:  # the second would silently replace the first's columns
            raise ValueError(f"two documents of backend {doc['backend']!r} (results.read_all names their files)")
        backends.add(doc["backend"])
        if "skipped" in doc:
            outcome.skipped[doc["backend"]] = doc["skipped"]
            columns[doc["backend"]] = None
            continue
        for name, path, found in results_file.columns(doc):
            column = columns[name] = Column(name, path, {result["id"]: result for result in found})
            for case_id in sorted(set(column.results) - set(outcome.case_ids)):
                outcome.failures.append(Failure("unknown-case", name, case_id))
    outcome.backends += list(columns)
    return columns


def _judge_case(j: Judged, columns: Mapping[str, Column | None], outcome: Outcome) -> None:
    outcome.cells[j.id, REFERENCE], failures = judge_reference(j)
    outcome.failures += failures
    passed: dict[str, Decoded] = {}
    for name, column in columns.items():
        if column is None:
            outcome.cells[j.id, name] = Cell(Status.SKIPPED)
            continue
        if not applies(j.raw, column.path):
            outcome.cells[j.id, name] = Cell(Status.NOT_APPLICABLE)
            continue
        found = column.results.get(j.id)
        if found is not None and "not_applicable" in found:  # `check`: the target takes no such case
            outcome.cells[j.id, name] = Cell(Status.NOT_APPLICABLE)
            continue
        if found is None:
            outcome.cells[j.id, name] = Cell(Status.MISSING)
            outcome.failures.append(Failure("missing", name, j.id))
            continue
        result = _decoded(found, j.fields)  # one case of every column at a time, decoded once
        cell, failures = judge_column(j, name, result)
        known = documented_difference(j, name, result) if failures else None
        if known:
            outcome.known.append(known)
            outcome.cells[j.id, name] = Cell(Status.KNOWN)
            continue
        outcome.cells[j.id, name] = cell
        outcome.failures += failures
        if not failures:
            passed[name] = result
    outcome.failures += judge_pairs(j, passed)


def compare(documents: Sequence[Document], raw_cases: Sequence[RawCase]) -> Outcome:
    """Compare results documents (see `conformance.harness.results`) on `raw_cases`."""
    outcome = Outcome([REFERENCE], [raw["id"] for raw in raw_cases])
    columns = _columns(documents, outcome)
    with np.errstate(all="ignore"):  # NaN and inf in cases are part of the contract
        for raw in raw_cases:
            _judge_case(judged(raw), columns, outcome)
    return outcome
