"""Judging what the child sent back, in the parent, with the suite's own pieces: the float64
reference (`spec.reference` through the harness's runner, computed when the cases are
planned), the derived tolerance (`spec.tolerance`), the harness's element judge
(`conformance.harness.judge.worst`) and the documented framework differences
(`spec.differences`, as `compare` applies them).

A result is accepted in any form that holds the numbers (a list or a NumPy array where a
tensor was expected passes, with a note); a result that holds no numbers (strings, booleans,
objects) is "of the wrong type". A wrong shape, a NaN where the reference has a number, or
any element beyond the tolerance fails, and the worst element is named, unless a documented
difference of the framework accounts for every problem of the result: then the verdict is
"known" (as `compare` shows it), never a pass and never a failure.

float32: one rule for every role. float64 is part of the lesson's contract, and a port that
computes in float32 is judged at float32 wherever it takes float64 inputs: a float64 case
whose result comes back float32 (the lesson's `zeros(...)` is float32 whatever it is given)
is judged at float32's tolerance, and a layer whose parameters are float32 runs the case in
float32 (the child), each with a note. A port that refuses float64 inputs fails those cases:
where the error names a dtype and the same function passes float32 cases, the hint says it
computes in float32 only, and how to take float64.

Nothing about one call stops the others: a call that cannot be judged (a fault of check's own)
is a failure that says so, and a hint that cannot be computed is no hint.
"""

import dataclasses
import re
import warnings
from collections.abc import Iterable, Sequence
from typing import Any, Protocol

import numpy as np

from convsuite.conformance.check.judging import hints
from convsuite.conformance.check.judging.plan import describe_inputs, expected, parsed
from convsuite.conformance.check.judging.verdict import Verdict
from convsuite.conformance.check.sandbox.messages import Description, ErrorInfo, LayerInfo, ResultMessage
from convsuite.conformance.check.sandbox.supervise import Call, CallEvent
from convsuite.conformance.harness.judge import worst
from convsuite.conformance.harness.status import Status
from convsuite.spec import cases, differences, tolerance

FORM_NOTES = {"list": "returned a Python list where a tensor was expected (accepted)",
              "ndarray": "returned a NumPy array where a tensor was expected (accepted)",
              "scalar": "returned a number where a tensor was expected (accepted)"}
LOWER = {"float32", "float16", "bfloat16"}
EVENTS = {"hang": "hung", "crash": "crashed", "memory": "ran out of memory"}
# A learner's code has no column of the suite's own: a documented difference that concerns
# the lessons' code in a framework names the column "BACKEND:learner" (`compare` reads a
# `check --out` file's "TARGET@BACKEND" as that column: spec.differences.column_kind).
LEARNER_COLUMN = "{backend}:learner"
# A dtype named (float32, float64, double, dtype), not the word "float" alone: "cannot convert
# float NaN to integer" is the error of an output that holds integers (hints.HINTS["integer"]).
DTYPE_WORDS = re.compile(r"float(?:16|32|64)|double|dtype", re.IGNORECASE)


class JudgedRun(Protocol):
    """What judging reads of a `supervise.Run` (tests build one of their own)."""
    calls: list[Call]
    results: dict[int, ResultMessage | CallEvent]


_TOLERANCES: dict[int, tuple[cases.Case, dict[str, Any]]] = {}


def _tolerance(case: cases.Case) -> dict[str, Any]:
    if id(case) not in _TOLERANCES:
        _TOLERANCES[id(case)] = (case, tolerance.versus_reference(case))
    return _TOLERANCES[id(case)][1]


def _error(error: ErrorInfo) -> str:
    where = f" at {error['where']}" if error.get("where") else ""
    code = f": {error['code']}" if error.get("code") else ""
    message = f": {error['message']}" if error["message"] else ""
    return f"raised {error['type']}{message}{where}{code}"


def _layer_problem(extra: LayerInfo) -> str | None:
    problem, name = extra.get("problem"), "Conv2D"
    kernel = tuple(extra.get("kernel_size") or ())
    if problem == "weight-shape":
        return f"{name}({kernel}) made a weight of shape {tuple(extra.get('weight_shape') or ())}"
    if problem == "bias-shape":
        return f"the bias has shape {tuple(extra.get('bias_shape') or ())}, the case one value per output channel"
    if problem == "no-weight":
        return "no weight attribute (weight, w or kernel) after construction and a first call"
    if problem == "not-a-parameter":
        return f"its weight is a {extra.get('weight_type')}, which holds no array"
    if problem == "cannot-set":
        return f"cannot set a {extra.get('weight_type')} weight the framework's way"
    return None


def _wrong_type(field: str, description: Description) -> str:
    return (f"{field} is of the wrong type: a {description.get('type', 'value')} that holds no numbers "
            f"({description['unreadable']}); return numbers (a tensor, an array or a list of floats)")


def _field_tolerance(raw: dict[str, Any], case: cases.Case, *, field: str, description: Description,
                     notes: list[str]) -> Any:
    """The field's tolerance: float32's for a float64 case whose result came back float32."""
    if case.dtype == "float64" and description.get("dtype") in LOWER:
        notes.append(f"float64 inputs, {description.get('dtype')} result: judged at float32's tolerance")
        return tolerance.versus_reference(cases.parse({**raw, "dtype": "float32"}))[field]
    return _tolerance(case)[field]


def _documented(columns: Iterable[str], case: cases.Case, *, got: dict[str, np.ndarray],
                want: dict[str, Any], tols: dict[str, Any]) -> differences.Difference | None:
    """The documented difference that accounts for every problem of the result, as `compare`
    asks (`spec.differences`), or None."""
    for column in columns:
        for known in differences.matching(column, case):
            excused = known.excused(got, want)
            if all(worst(excused[f], want[f], tols[f], field=f)[1] is None for f in got):
                return known
    return None


def judge(call: Call, result: ResultMessage | CallEvent | None, columns: Sequence[str] = ()) -> Verdict:
    """One call's verdict; `columns`: the names a documented difference would give this
    target's results."""
    raw = call.case
    case = parsed(raw)
    notes: list[str] = []  # each verdict below holds this list's notes as they are when it is made

    def verdict(status: Status = Status.PASS, *, kind: str | None = None, detail: str = "",
                hint: str | None = None) -> Verdict:
        return Verdict(subject=call.subject, role=call.role, case=raw["id"], inputs=describe_inputs(case),
                       status=status, detail=detail, hint=hint, notes=tuple(notes), kind=kind)

    if result is None:
        return verdict(Status.NOT_RUN, kind="not run", detail="not run: the target's run ended before it")
    if "event" in result:
        event = result["event"]
        where = f" at {event['where']}" if event.get("where") else ""
        what = EVENTS.get(event["kind"], event["kind"])
        return verdict(Status(event["kind"]), kind=what, detail=f"{what}: {event['detail']}{where}")
    if "error" in result:
        return verdict(Status.ERROR, kind=f"raised {result['error']['type']}", detail=_error(result["error"]))
    extra: LayerInfo = result.get("extra") or {}
    notes += extra.get("notes", [])
    problem = _layer_problem(extra)
    if problem:
        kind = "a weight that is not a parameter" if extra.get("problem") == "not-a-parameter" else \
            "a weight or bias of the wrong shape"
        return verdict(Status.FAIL, kind=kind, detail=problem, hint=hints.for_layer(extra, case.inputs["X"].shape))
    want = expected(raw)
    outputs = result.get("outputs", {})
    got: dict[str, np.ndarray] = {}
    tols: dict[str, Any] = {}
    for field in case.outputs:
        description = outputs.get(field)
        if description is None:
            if field == "losses":
                notes.append("returns no losses: only what it learned is checked")
                continue
            return verdict(Status.FAIL, kind=f"returned no {field}", detail=f"returned no {field}")
        if description["form"] == "none":
            return verdict(Status.FAIL, kind="returned None", detail=f"returned None for {field}")
        if "unreadable" in description:
            return verdict(Status.FAIL, kind="of the wrong type", detail=_wrong_type(field, description))
        if description["form"] in FORM_NOTES and field != "losses":  # losses come as a list of numbers
            notes.append(FORM_NOTES[description["form"]])
        tols[field] = _field_tolerance(raw, case, field=field, description=description, notes=notes)
        got[field] = np.asarray(description["values"], np.float64).reshape(description["shape"])
    for field in got:
        _, mismatch = worst(got[field], want[field], tols[field], field=field)
        if mismatch:
            known = _documented(columns, case, got=got, want=want, tols=tols)
            if known:
                return verdict(Status.KNOWN, kind=f"a documented difference ({known.name})",
                               detail=f"{mismatch}: the documented difference {known.name}: {known.why}")
            hint = hints.for_values(case, got[field], want[field]) if field == "Y" else None
            kind = "of the wrong shape" if mismatch.shape else "NaN where the reference has a number" if \
                mismatch.got != mismatch.got and mismatch.want == mismatch.want else f"with wrong {field} values"
            return verdict(Status.FAIL, kind=kind, detail=str(mismatch), hint=hint)
    structure = hints.for_layer(extra, case.inputs["X"].shape) if case.op == "layer" else None
    if structure:
        return verdict(Status.FAIL, kind="a weight or bias that is not a parameter",
                       detail="the forward pass is right, but the layer does not hold its parameters", hint=structure)
    return verdict()


def _judged(call: Call, result: ResultMessage | CallEvent | None, columns: Sequence[str]) -> Verdict:
    """`judge`, where a fault of check's own fails this call alone, and says so."""
    try:
        return judge(call, result, columns)
    except Exception as exc:
        return Verdict(subject=call.subject, role=call.role, case=call.case["id"], inputs="", status=Status.ERROR,
                       kind="could not be judged",
                       detail=f"check could not judge this result (a fault of check's own, please report it): "
                              f"{type(exc).__name__}: {exc}")


def _float32_only(calls: Sequence[Call], verdicts: list[Verdict]) -> list[Verdict]:
    """The float32-only hint on each float64 case that raised a dtype error, of a function
    that passes float32 cases and raises no dtype error on any of them (one that does, as an
    integer output casting float32 sums, is not float32-only)."""
    dtypes = [call.case.get("dtype", "float32") for call in calls]
    float32 = [v for v, dtype in zip(verdicts, dtypes) if dtype == "float32"]
    passing = {v.subject for v in float32 if v.status == Status.PASS} - \
        {v.subject for v in float32 if v.status == Status.ERROR and DTYPE_WORDS.search(v.detail)}
    return [dataclasses.replace(verdict, hint=hints.FLOAT32_ONLY)
            if (dtype == "float64" and verdict.status == Status.ERROR and verdict.subject in passing
                and not verdict.hint and DTYPE_WORDS.search(verdict.detail)) else verdict
            for verdict, dtype in zip(verdicts, dtypes)]


def judge_run(run: JudgedRun, backend: str) -> list[Verdict]:
    """Every call's verdict, in plan order (NaN and overflow in results are part of judging).
    `backend`, the one check was asked for (never what the child reports), names the column
    of the documented differences that may apply."""
    columns = (LEARNER_COLUMN.format(backend=backend),)
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        verdicts = [_judged(call, run.results.get(call.i), columns) for call in run.calls]
    return _float32_only(run.calls, verdicts)
