"""Evaluate cases with one backend, in this process, one result per case.

Inputs are validated by `spec.cases.parse` in NumPy before the framework sees them, so bad
input raises the same exception in every backend; any exception a case raises becomes that
case's ``{"id", "error": {"type", "message"}}`` result and the next case runs.
"""

import numpy as np

from spec import cases

# op -> the backend function that computes it.
FUNCTIONS = {"corr2d": "corr2d", "conv2d": "conv2d", "layer": "layer_forward", "learn": "learn"}


def _to_backend(backend, value):
    return backend.asarray(value) if isinstance(value, np.ndarray) else value


def _outputs(backend, case):
    inputs = {field: _to_backend(backend, value) for field, value in case.inputs.items()}
    output = getattr(backend, FUNCTIONS[case.op])(**inputs)
    if case.op == "learn":
        losses, K = output
        return {"losses": [float(loss) for loss in losses], "K": backend.to_numpy(K).tolist()}
    return {"Y": backend.to_numpy(output).tolist()}


def run_case(backend, raw_case):
    case_id = raw_case["id"]
    try:
        return {"id": case_id, **_outputs(backend, cases.parse(raw_case))}
    except Exception as exc:  # one bad case never stops the others
        return {"id": case_id, "error": {"type": type(exc).__name__, "message": str(exc)}}


def run_cases(backend, raw_cases, progress=None):
    results = []
    for index, raw_case in enumerate(raw_cases):
        results.append(run_case(backend, raw_case))
        if progress:
            progress(index + 1, len(raw_cases), raw_case["id"])
    return results
