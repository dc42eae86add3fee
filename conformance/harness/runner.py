"""Evaluate cases with one backend, in this process, one result per case.

Inputs are validated by `spec.cases.parse` in NumPy before the framework sees them, so bad
input raises the same exception in every backend; any exception a case raises becomes that
case's ``{"id", "error": {"type", "message"}}`` result and the next case runs.

Each backend computes the forward ops and gradients along two paths: "fast" (its
vectorized corr2d and its own Conv2D class) and "builtin" (the framework's own conv layer).
The learning loop runs once on the fast path: its case's "layer" field chooses the form.
A backend that declares the "compiled" capability (`backends.contract`) also runs a third
path, "compiled": the fast corr2d (and conv2d on it) and the learning loop with a compiled step.
Backends without them write no "compiled" results, and `compare` has no column for them.
"""

import numpy as np

from convsuite.conformance.harness import results
from convsuite.spec import cases

PATHS = {
    "fast": ("corr2d", "conv2d", "layer", "grad", "learn"),
    "builtin": ("corr2d", "conv2d", "layer", "grad"),
    "compiled": ("corr2d", "conv2d", "learn"),
}
CORR2D = {"fast": "corr2d", "builtin": "corr2d_builtin", "compiled": "corr2d_compiled"}


def offers(backend, path):
    """Whether `backend` has `path` at all ("compiled" only where it declares that capability)."""
    return path != "compiled" or backend.offers("compiled")


def _to_backend(backend, value):
    return backend.asarray(value) if isinstance(value, np.ndarray) else value


def _outputs(backend, case, path):
    args = {field: _to_backend(backend, value) for field, value in case.inputs.items()}
    if case.op == "corr2d":
        return {"Y": getattr(backend, CORR2D[path])(**args)}
    if case.op == "conv2d":
        return {"Y": backend.conv2d(**args, form=path)}
    if case.op == "layer":
        return {"Y": backend.layer_forward(**args, form=path)}
    if case.op == "grad":
        return dict(zip(("dX", "dK", "db"), backend.grad(**args, form=path)))
    learn = backend.learn_compiled if path == "compiled" else backend.learn
    losses, K, bias = learn(**args)
    return {"losses": np.array([float(loss) for loss in losses]), "K": K, "bias": bias}


def _encoded(backend, value):
    """A result as the results file holds it (`conformance.harness.results.encode`)."""
    return results.encode(value if isinstance(value, np.ndarray) else backend.to_numpy(value))


def _parse(raw_case, parsed):
    """cases.parse, once per case when `parsed` (a dict kept across paths) is given: every
    path then reuses the case, or raises the same exception again."""
    if parsed is None:
        return cases.parse(raw_case)
    if id(raw_case) not in parsed:
        try:
            parsed[id(raw_case)] = cases.parse(raw_case)
        except Exception as exc:
            parsed[id(raw_case)] = exc
    if isinstance(parsed[id(raw_case)], Exception):
        raise parsed[id(raw_case)]
    return parsed[id(raw_case)]


def run_case(backend, raw_case, path="fast", parsed=None):
    case_id = raw_case["id"]
    try:
        case = _parse(raw_case, parsed)
        with np.errstate(all="ignore"):  # NaN, inf and underflow are part of the contract
            outputs = _outputs(backend, case, path)
        return {"id": case_id, **{f: _encoded(backend, outputs[f]) for f in case.outputs}}
    except Exception as exc:  # one bad case never stops the others
        return {"id": case_id, "error": {"type": type(exc).__name__, "message": str(exc)}}


def applies(raw_case, path):
    """Whether `path` computes this case (cases of an unknown op run, and raise, on every path)."""
    return raw_case.get("op") in PATHS[path] or raw_case.get("op") not in cases.INPUTS


def run_cases(backend, raw_cases, path="fast", progress=None, parsed=None):
    chosen = [raw for raw in raw_cases if applies(raw, path)]
    results = []
    for index, raw_case in enumerate(chosen):
        results.append(run_case(backend, raw_case, path, parsed))
        if progress:
            progress(path, index + 1, len(chosen), raw_case["id"])
    return results


def run_paths(backend, raw_cases, progress=None, paths=None):
    """{"results": fast-path results, "paths": {"builtin": [...], "compiled": [...]}}, as a
    results file holds ("compiled" only where the backend offers it); `paths` limits the
    other paths to those named (the fast path always runs)."""
    fast, *others = PATHS
    parsed = {}  # each case is parsed (validated) once, for every path
    return {
        "results": run_cases(backend, raw_cases, fast, progress, parsed),
        "paths": {path: run_cases(backend, raw_cases, path, progress, parsed)
                  for path in others if offers(backend, path) and (paths is None or path in paths)},
    }
