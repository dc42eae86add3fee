"""Judging what the child sent back, in the parent, with the suite's own pieces: the float64
reference (`spec.reference` through the harness's runner), the derived tolerance
(`spec.tolerance`) and the harness's element judge (`conformance.harness.judge.worst`).

A result is accepted in any form that holds the numbers (a list or a NumPy array where a
tensor was expected passes, with a note). A float64 case whose result came back float32
(the lesson's `zeros(...)` is float32 whatever it is given) is judged at float32's
tolerance, with a note. A wrong shape, a NaN where the reference has a number, or any
element beyond the tolerance fails, and the worst element is named.
"""

import functools
import json
import warnings

import numpy as np

from conformance.check.judging import hints
from conformance.check.judging.plan import describe_inputs, parsed
from conformance.harness.judge import worst
from conformance.harness.runner import run_case
from spec import cases, reference, tolerance

FORM_NOTES = {"list": "returned a Python list where a tensor was expected (accepted)",
              "ndarray": "returned a NumPy array where a tensor was expected (accepted)",
              "scalar": "returned a number where a tensor was expected (accepted)"}
LOWER = {"float32", "float16", "bfloat16"}
EVENTS = {"hang": "hung", "crash": "crashed", "memory": "ran out of memory"}


@functools.lru_cache(maxsize=None)
def _expected(raw_json):
    raw = json.loads(raw_json)
    return run_case(reference, raw)


_TOLERANCES = {}


def _tolerance(case):
    if id(case) not in _TOLERANCES:
        _TOLERANCES[id(case)] = (case, tolerance.versus_reference(case))
    return _TOLERANCES[id(case)][1]


def _error(error):
    where = f" at {error['where']}" if error.get("where") else ""
    code = f": {error['code']}" if error.get("code") else ""
    message = f": {error['message']}" if error["message"] else ""
    return f"raised {error['type']}{message}{where}{code}"


def _layer_problem(extra, case):
    problem, name = extra.get("problem"), "Conv2D"
    kernel = tuple(extra.get("kernel_size") or ())
    if problem == "weight-shape":
        return f"{name}({kernel}) made a weight of shape {tuple(extra['weight_shape'])}"
    if problem == "bias-shape":
        return f"the bias has shape {tuple(extra['bias_shape'])}, the case one value per output channel"
    if problem == "no-weight":
        return "no weight attribute (weight, w or kernel) after construction and a first call"
    if problem == "not-a-parameter":
        return f"its weight is a {extra.get('weight_type')}, which holds no array"
    if problem == "cannot-set":
        return f"cannot set a {extra.get('weight_type')} weight the framework's way"
    return None


def judge(call, result):
    """One call's verdict: {"subject", "case", "status", "detail", "hint", "notes", "inputs"}."""
    raw = call["case"]
    case = parsed(raw)
    verdict = {"subject": call["subject"], "role": call["role"], "case": raw["id"], "inputs": describe_inputs(case),
               "status": "pass", "detail": "", "hint": None, "notes": []}
    if result is None:
        return {**verdict, "status": "not-run", "kind": "not run", "detail": "not run: the target's run ended before it"}
    if "event" in result:
        event = result["event"]
        where = f" at {event['where']}" if event.get("where") else ""
        what = EVENTS.get(event["kind"], event["kind"])
        return {**verdict, "status": event["kind"], "kind": what, "detail": f"{what}: {event['detail']}{where}"}
    if "error" in result:
        return {**verdict, "status": "error", "kind": f"raised {result['error']['type']}",
                "detail": _error(result["error"])}
    extra = result.get("extra") or {}
    verdict["notes"] += extra.get("notes", [])
    problem = _layer_problem(extra, case)
    if problem:
        kind = "a weight that is not a parameter" if extra.get("problem") == "not-a-parameter" else \
            "a weight or bias of the wrong shape"
        return {**verdict, "status": "fail", "kind": kind, "detail": problem,
                "hint": hints.for_layer(extra, case.inputs["X"].shape)}
    expected, tol = _expected(json.dumps(raw, sort_keys=True)), _tolerance(case)
    outputs = result.get("outputs", {})
    for field in case.outputs:
        description = outputs.get(field)
        if description is None:
            if field == "losses":
                verdict["notes"].append("returns no losses: only what it learned is checked")
                continue
            return {**verdict, "status": "fail", "kind": f"returned no {field}", "detail": f"returned no {field}"}
        if description.get("form") == "none":
            return {**verdict, "status": "fail", "kind": "returned None", "detail": f"returned None for {field}"}
        if "unreadable" in description:
            return {**verdict, "status": "fail", "kind": "returned something that is not numbers",
                    "detail": f"{field} is not numbers: {description['unreadable']}"}
        if description["form"] in FORM_NOTES and field != "losses":  # losses come as a list of numbers
            verdict["notes"].append(FORM_NOTES[description["form"]])
        field_tol = tol[field]
        if case.dtype == "float64" and description.get("dtype") in LOWER:
            field_tol = tolerance.versus_reference(cases.parse({**raw, "dtype": "float32"}))[field]
            verdict["notes"].append(f"float64 inputs, {description['dtype']} result: judged at float32's tolerance")
        got = np.asarray(description["values"], np.float64).reshape(description["shape"])
        _, mismatch = worst(got, expected[field], field_tol, field)
        if mismatch:
            hint = hints.for_values(case, call["role"], got, expected[field]) if field == "Y" else None
            kind = "of the wrong shape" if mismatch.shape else "NaN where the reference has a number" if \
                mismatch.got != mismatch.got and mismatch.want == mismatch.want else f"with wrong {field} values"
            return {**verdict, "status": "fail", "kind": kind, "detail": str(mismatch), "hint": hint}
    structure = hints.for_layer(extra, case.inputs["X"].shape) if case.op == "layer" else None
    if structure:
        return {**verdict, "status": "fail", "kind": "a weight or bias that is not a parameter",
                "detail": "the forward pass is right, but the layer does not hold its parameters", "hint": structure}
    return verdict


def judge_run(run):
    """Every call's verdict, in plan order (NaN and overflow in results are part of judging)."""
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return [judge(call, run.results.get(call["i"])) for call in run.calls]


