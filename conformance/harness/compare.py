"""Judge backend results against the float64 reference, the cases' expectations and each other.

Three judgements, one case at a time:

1. each column against the reference and the case's `expect` (`spec.tolerance`:
   bound(dtype) + bound(float64) from the reference; the expect's atol, else the same);
2. where a column fails, the documented differences (spec/differences.py) that apply to it:
   one that accounts for every problem turns the cell "known", never a pass;
3. every pair of columns that each passed 1, within twice bound(dtype) of each other.

A case that expects an error must raise exactly that exception type. A backend that fails
against the reference is reported once, not again against every other backend.
"""

import functools
import json

import numpy as np

from convsuite.conformance.harness import results as results_file
from convsuite.conformance.harness.judge import judge, ratio
from convsuite.conformance.harness.outcome import Cell, Failure, Known, Outcome
from convsuite.conformance.harness.results import decode
from convsuite.conformance.harness.runner import applies, run_case
from convsuite.spec import cases, differences, reference, tolerance

REFERENCE = "reference"
EXPECT = "the case's expect"


class Judged:
    """One case as compare sees it: the reference's result, the case's target, tolerances."""

    def __init__(self, raw):
        self.id = raw["id"]
        self.raw = raw
        reference_result = _reference_result(json.dumps(raw, sort_keys=True))
        try:
            self.case = cases.parse(raw)
        except Exception:  # the reference raised it too; judge by error type only
            self.case = None
        case = self.case
        self.fields = case.outputs if case else ()
        # Decoded once per case: a large field is judged against the reference, the expect and
        # every other column, and its deflated bytes would be inflated each time.
        self.expected = _decoded(reference_result, self.fields)
        self.ref_tol = tolerance.versus_reference(case) if case else {}
        self.pair_tol = tolerance.between_backends(case) if case else {}
        self.target, self.target_tol = _expectation(case) if case else (_raw_expectation(raw), {})


@functools.lru_cache(maxsize=512)
def _reference_result(raw_json):
    """The reference's result of a case (given as its JSON, so that a case compared again,
    a large one above all, is computed once per process)."""
    return run_case(reference, json.loads(raw_json))


def _expectation(case):
    """The case's `expect` as a target and its tolerance (its atol, else the derived one)."""
    if case.expect is None:
        return None, None
    if "error" in case.expect:
        return {"error": case.expect["error"]}, {}
    target = {k: v for k, v in case.expect.items() if k != "atol"}
    if "atol" in case.expect:
        return target, {k: case.expect["atol"] for k in target}
    return target, tolerance.versus_reference(case)


def _raw_expectation(raw):
    expect = raw.get("expect")
    if isinstance(expect, dict) and isinstance(expect.get("error"), str):
        return {"error": expect["error"]}
    return None


def _cell(max_error, failures, result, measured):
    kind = "fail" if failures else ("raises" if "error" in result else "agree")
    return Cell(kind, error=max_error, ratio=measured, raised=result.get("error", {}).get("type"))


def judge_reference(j):
    """The reference against the case's expect (unchecked where there is none). A case the
    reference raises on must expect that error: without `expect: {"error": ...}` it is a
    broken case (a misspelt field, a wrong shape), never one that every backend passes by
    raising the same."""
    if j.target is None:
        raised = j.expected.get("error")
        broken = [Failure("broken-case", REFERENCE, j.id, error=raised)] if raised else []
        return Cell("fail" if raised else "unchecked", raised=raised and raised["type"]), broken
    error, failures = judge(j.expected, j.target, j.target_tol, j.fields, EXPECT, REFERENCE, j.id, "expect")
    return _cell(error, failures, j.expected, ratio(j.expected, j.target, j.target_tol, j.fields)), failures


def judge_column(j, name, result):
    """Judgement 1: one column's result against the reference and the case's expect."""
    error, failures = judge(result, j.expected, j.ref_tol, j.fields, "the reference", name, j.id)
    if j.target is not None and "error" not in j.target:
        failures += judge(result, j.target, j.target_tol, j.fields, EXPECT, name, j.id, "expect")[1]
    return _cell(error, failures, result, ratio(result, j.expected, j.ref_tol, j.fields)), failures


def documented_difference(j, name, result):
    """Judgement 2: the documented difference that accounts for every problem of a failing
    column, or None."""
    for known in differences.matching(name, j.case) if j.case else ():
        excused = known.excused(result, j.expected)
        if not judge(excused, j.expected, j.ref_tol, j.fields, "", name, j.id)[1]:
            return Known(name, j.id, known.name, known.why)
    return None


def _decoded(result, fields):
    """The result with its array fields as float64 arrays (`results.decode`), once."""
    return {**result, **{f: decode(result[f]) for f in fields if f in result}}


def judge_pairs(j, passed):
    """Judgement 3: backends that each passed the reference must also agree with each other,
    within twice bound(dtype): tighter than the reference allows each (bound(float64) more)."""
    failures, names = [], list(passed)
    for i, first in enumerate(names):
        for second in names[i + 1 :]:
            failures += judge(passed[second], passed[first], j.pair_tol, j.fields, first, second, j.id, "pair")[1]
    return failures


def _columns(documents, outcome):
    """column name -> (path, {case id: result}), None for a skipped backend."""
    columns, backends = {}, set()
    for doc in documents:
        if doc["backend"] in backends:  # the second would silently replace the first's columns
            raise ValueError(f"two documents of backend {doc['backend']!r} (results.read_all names their files)")
        backends.add(doc["backend"])
        if "skipped" in doc:
            outcome.skipped[doc["backend"]] = doc["skipped"]
            columns[doc["backend"]] = None
            continue
        for column, path, results in results_file.columns(doc):
            columns[column] = (path, {result["id"]: result for result in results})
            for case_id in sorted(set(columns[column][1]) - set(outcome.case_ids)):
                outcome.failures.append(Failure("unknown-case", column, case_id))
    outcome.backends += list(columns)
    return columns


def _judge_case(j, columns, outcome):
    outcome.cells[j.id, REFERENCE], failures = judge_reference(j)
    outcome.failures += failures
    passed = {}
    for name, column in columns.items():
        if column is None:
            outcome.cells[j.id, name] = Cell("skipped")
            continue
        path, results = column
        if not applies(j.raw, path):
            outcome.cells[j.id, name] = Cell("not-applicable")
            continue
        result = results.get(j.id)
        if result is not None and "not_applicable" in result:  # `check`: the target takes no such case
            outcome.cells[j.id, name] = Cell("not-applicable")
            continue
        if result is not None:  # one case of every column at a time, decoded once
            result = _decoded(result, j.fields)
        if result is None:
            outcome.cells[j.id, name] = Cell("missing")
            outcome.failures.append(Failure("missing", name, j.id))
            continue
        cell, failures = judge_column(j, name, result)
        known = documented_difference(j, name, result) if failures else None
        if known:
            outcome.known.append(known)
            outcome.cells[j.id, name] = Cell("known")
            continue
        outcome.cells[j.id, name] = cell
        outcome.failures += failures
        if not failures:
            passed[name] = result
    outcome.failures += judge_pairs(j, passed)


@np.errstate(all="ignore")  # NaN and inf in cases are part of the contract
def compare(documents, raw_cases):
    """Compare results documents (see `conformance.harness.results`) on `raw_cases`."""
    outcome = Outcome([REFERENCE], [raw["id"] for raw in raw_cases])
    columns = _columns(documents, outcome)
    for raw in raw_cases:
        _judge_case(Judged(raw), columns, outcome)
    return outcome
