"""Judge backend results against the float64 reference, the cases' expectations and each other.

Every numeric field must have the reference's shape, NaN where it has NaN, and stay within
`spec.tolerance`: bound(dtype) + bound(float64) from the reference, twice bound(dtype)
between two backends. A case that expects an error must raise exactly that exception type. A backend that fails
against the reference is reported once, not again against every other backend.
"""

from dataclasses import dataclass, field

import numpy as np

from conformance.harness import results as results_file
from conformance.harness.runner import applies, run_case
from spec import cases, differences, reference, tolerance

REFERENCE = "reference"


@dataclass
class Outcome:
    """What `compare` found: the matrix cells and every disagreement, in words."""

    backends: list  # the matrix's columns: the reference, then each backend's paths
    case_ids: list
    cells: dict = field(default_factory=dict)  # (case_id, backend) -> (text, ok)
    failures: list = field(default_factory=list)
    skipped: dict = field(default_factory=dict)  # backend -> reason
    known: list = field(default_factory=list)  # documented differences met, in words
    # (case_id, column) -> max |error| / tolerance of the cells judged, None where both raise
    ratios: dict = field(default_factory=dict)

    @property
    def ok(self):
        return not self.failures


def _worst(got, want, tol):
    """Max abs error, and a description of the worst element beyond `tol` (or None)."""
    got, want = np.asarray(got, np.float64), np.asarray(want, np.float64)
    if got.shape != want.shape:
        return np.inf, f"shape {got.shape}, expected {want.shape}"
    nan_mismatch = np.isnan(got) != np.isnan(want)
    if nan_mismatch.any():
        index = tuple(int(i) for i in np.argwhere(nan_mismatch)[0])
        return np.inf, f"element {list(index)} is {float(got[index])!r}, expected {float(want[index])!r}"
    both = ~np.isnan(got)
    with np.errstate(invalid="ignore"):
        error = np.where(both, np.abs(got - want), 0.0)
        same_infinity = both & np.isinf(want) & (got == want)
    error = np.where(same_infinity, 0.0, error)
    excess = np.where(error > np.broadcast_to(tol, error.shape), error, -1.0)
    max_error = float(error.max()) if error.size else 0.0
    if excess.max(initial=-1.0) < 0:
        return max_error, None
    index = np.unravel_index(np.argmax(excess), error.shape)
    limit = np.broadcast_to(tol, error.shape)[index]
    return max_error, (
        f"element {[int(i) for i in index]} is {float(got[index])!r}, "
        f"expected {float(want[index])!r}: "
        f"|diff| {error[index]:.3g} > tolerance {limit:.3g}"
    )


def _judge(result, target, tol, fields, against):
    """Max abs error of `result` against `target` (a result-like dict), and failures."""
    problems, max_error = [], 0.0
    if "error" in target:
        want = target["error"]
        want = want["type"] if isinstance(want, dict) else want
        got = result.get("error", {}).get("type")
        if got != want:
            problems.append(f"raised {got or 'nothing'}, {against} raises {want}")
        return max_error, problems
    if "error" in result:
        error = result["error"]
        problems.append(f"raised {error['type']}: {error['message']} ({against} does not)")
        return np.inf, problems
    for name in fields:
        if name not in target:
            continue
        if name not in result:
            problems.append(f"has no {name!r}")
            continue
        error, problem = _worst(result[name], target[name], tol.get(name, 0.0))
        max_error = max(max_error, error)
        if problem:
            problems.append(f"{name} {problem} (against {against})")
    return max_error, problems


def _ratio(result, target, tol, fields):
    """Max of |error| / tolerance over `fields` and their elements, the error measured as in
    `_worst`: inf where the shape or NaN differ or only one of the two raised, None where
    both raised (there is no number to measure)."""
    if "error" in target or "error" in result:
        return None if "error" in target and "error" in result else np.inf
    ratio = 0.0
    for name in fields:
        if name not in target:
            continue
        if name not in result:
            return np.inf
        got = np.asarray(result[name], np.float64)
        want = np.asarray(target[name], np.float64)
        if got.shape != want.shape or (np.isnan(got) != np.isnan(want)).any():
            return np.inf
        error = np.where(np.isnan(want) | (got == want), 0.0, np.abs(got - want))
        limit = np.broadcast_to(tol.get(name, 0.0), error.shape)
        ratio = max(ratio, float(np.where(error == 0, 0.0, error / limit).max(initial=0.0)))
    return ratio


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


def _cell(max_error, ok, result):
    if "error" in result:
        text = result["error"]["type"]
    else:
        text = "0" if max_error == 0 else f"{max_error:.1e}"
    return (text if ok else f"{text} FAIL", ok)


def _columns(documents, outcome):
    """column name -> (path, {case id: result}), None for a skipped backend."""
    columns = {}
    for doc in documents:
        if "skipped" in doc:
            outcome.skipped[doc["backend"]] = doc["skipped"]
            columns[doc["backend"]] = None
            continue
        for column, path, results in results_file.columns(doc):
            columns[column] = (path, {result["id"]: result for result in results})
            for case_id in sorted(set(columns[column][1]) - set(outcome.case_ids)):
                outcome.failures.append(f"backend {column}: result for unknown case {case_id!r}")
    outcome.backends += list(columns)
    return columns


@np.errstate(all="ignore")  # NaN and inf in cases are part of the contract
def compare(documents, raw_cases):
    """Compare results documents (see `conformance.results`) on `raw_cases`."""
    outcome = Outcome([REFERENCE], [raw["id"] for raw in raw_cases])
    columns = _columns(documents, outcome)

    for raw in raw_cases:
        case_id = raw["id"]
        expected = run_case(reference, raw)
        try:
            case = cases.parse(raw)
        except Exception:  # the reference raised it too; judge by error type only
            case = None
        fields = case.outputs if case else ()
        ref_tol = tolerance.versus_reference(case) if case else {}
        pair_tol = tolerance.between_backends(case) if case else {}
        target, target_tol = _expectation(case) if case else (_raw_expectation(raw), {})

        judged = {REFERENCE: expected}
        if target is not None:
            err, problems = _judge(expected, target, target_tol, fields, "the case's expect")
            outcome.cells[case_id, REFERENCE] = _cell(err, not problems, expected)
            outcome.ratios[case_id, REFERENCE] = _ratio(expected, target, target_tol, fields)
            outcome.failures += [f"reference, case {case_id}: {p}" for p in problems]
        else:
            outcome.cells[case_id, REFERENCE] = _cell(0.0, True, expected)

        for name, column in columns.items():
            if column is None:
                outcome.cells[case_id, name] = ("skipped", None)
                continue
            path, results = column
            if not applies(raw, path):
                outcome.cells[case_id, name] = ("-", None)
                continue
            result = results.get(case_id)
            if result is None:
                outcome.cells[case_id, name] = ("missing FAIL", False)
                outcome.failures.append(f"backend {name}, case {case_id}: no result")
                continue
            err, problems = _judge(result, expected, ref_tol, fields, "the reference")
            if target is not None and "error" not in target:
                problems += _judge(result, target, target_tol, fields, "the case's expect")[1]
            for known in differences.matching(name, case) if problems and case else ():
                if not _judge(known.excused(result, expected), expected, ref_tol, fields, "")[1]:
                    outcome.known.append(f"backend {name}, case {case_id}: {known.name}: {known.why}")
                    outcome.cells[case_id, name] = ("known", None)
                    problems = None
                    break
            if problems is None:
                continue
            outcome.cells[case_id, name] = _cell(err, not problems, result)
            outcome.ratios[case_id, name] = _ratio(result, expected, ref_tol, fields)
            outcome.failures += [f"backend {name}, case {case_id}: {p}" for p in problems]
            if not problems:
                judged[name] = result

        # Backends that each passed the reference must also agree with each other within
        # twice bound(dtype): tighter than the reference allows each (bound(float64) more).
        ran = [name for name in columns if name in judged]
        for i, first in enumerate(ran):
            for second in ran[i + 1 :]:
                _, problems = _judge(judged[second], judged[first], pair_tol, fields, first)
                outcome.failures += [
                    f"backends {first} and {second} disagree, case {case_id}: {second} {p}"
                    for p in problems
                ]
    return outcome
