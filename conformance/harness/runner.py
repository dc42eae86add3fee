"""Evaluate cases with one backend, in this process, one result per case.

Inputs are validated by `spec.cases.parse` in NumPy before the framework sees them, so bad
input raises the same exception in every backend; any exception a case raises becomes that
case's ``{"id", "error": {"type", "message"}}`` result and the next case runs.

Each backend computes the forward ops and gradients along two paths: "fast" (its
vectorized corr2d and its own Conv2D class) and "builtin" (the framework's own conv layer).
The learning loop runs once on the fast path: its case's "layer" field chooses the path it
trains (`spec.cases.PATH_OF_LAYER`). A backend that declares the "compiled" capability
(`backends.contract`) also runs a third path, "compiled": the fast corr2d (and conv2d on it)
and the learning loop with a compiled step. Backends without them write no "compiled"
results, and `compare` has no column for them.
"""

from collections.abc import Callable, Sequence
from typing import Any, Protocol, TypeAlias, cast

import numpy as np
from numpy.typing import NDArray

from convsuite.conformance.harness import results
from convsuite.conformance.harness.results import Result
from convsuite.spec import cases
from convsuite.spec.cases import RawCase

PATHS = {
    "fast": ("corr2d", "conv2d", "layer", "grad", "learn"),
    "builtin": ("corr2d", "conv2d", "layer", "grad"),
    "compiled": ("corr2d", "conv2d", "learn"),
}
CORR2D = {"fast": "corr2d", "builtin": "corr2d_builtin", "compiled": "corr2d_compiled"}

# A case's outputs as its backend computed them: framework tensors, opaque to the harness.
Outputs: TypeAlias = dict[str, Any]
# Each case parsed once, for every path: its Case, or the exception parsing it raised.
Parsed: TypeAlias = dict[int, cases.Case | Exception]
Progress: TypeAlias = Callable[[str, int, int, str], object]


class Computes(Protocol):
    """What the runner asks of a backend (`backends.Backend`, or `spec.reference`): arrays in
    and out, and the ops of `backends.contract.REQUIRED`, whose tensors it never looks into."""

    name: str

    def asarray(self, array: Any, /) -> Any: ...
    def to_numpy(self, tensor: Any, /) -> Any: ...
    def conv2d(self, X: Any, K: Any, geometry: Any = ..., *, path: Any = ...) -> Any: ...
    def layer_forward(self, X: Any, weight: Any, bias: Any, *, geometry: Any = ..., path: Any = ...) -> Any: ...
    def grad(self, X: Any, K: Any, bias: Any, *, G: Any, geometry: Any = ..., path: Any = ...) -> Any: ...


def offers(backend: Any, path: str) -> bool:
    """Whether `backend` has `path` at all ("compiled" only where it declares that capability)."""
    return path != "compiled" or bool(backend.offers("compiled"))


def _to_backend(backend: Computes, value: object) -> object:
    return backend.asarray(value) if isinstance(value, np.ndarray) else value


def compute(backend: Computes, case: cases.Case, path: str = "fast") -> Outputs:
    """The case's outputs on `path`, as the backend returns them (NaN, inf and underflow
    are part of the contract: no floating-point warning)."""
    args = {field: _to_backend(backend, value) for field, value in case.inputs.items()}
    with np.errstate(all="ignore"):
        if case.op == "corr2d":
            return {"Y": getattr(backend, CORR2D[path])(**args)}
        if case.op == "conv2d":
            return {"Y": backend.conv2d(**args, path=path)}
        if case.op == "layer":
            return {"Y": backend.layer_forward(**args, path=path)}
        if case.op == "grad":
            return dict(zip(("dX", "dK", "db"), backend.grad(**args, path=path)))
        learn = getattr(backend, "learn_compiled" if path == "compiled" else "learn")
        losses, K, bias = learn(**args)  # the case's "layer" is its `path` argument
        return {"losses": np.array([float(loss) for loss in losses]), "K": K, "bias": bias}


def as_numpy(backend: Computes, value: object) -> NDArray[Any]:
    """An output as a NumPy array, in its own dtype."""
    return value if isinstance(value, np.ndarray) else np.asarray(backend.to_numpy(value))


def _parse(raw_case: RawCase, parsed: Parsed | None) -> cases.Case:
    """cases.parse, once per case when `parsed` (a dict kept across paths) is given: every
    path then reuses the case, or raises the same exception again."""
    if parsed is None:
        return cases.parse(raw_case)
    if id(raw_case) not in parsed:
        try:
            parsed[id(raw_case)] = cases.parse(raw_case)
        except Exception as exc:
            parsed[id(raw_case)] = exc
    found = parsed[id(raw_case)]
    if isinstance(found, Exception):
        raise found
    return found


def run_case(backend: Computes, raw_case: RawCase, path: str = "fast", *, parsed: Parsed | None = None) -> Result:
    """The case's result on `path`, as a results file holds it (its error, where it raised)."""
    case_id = raw_case["id"]
    try:
        case = _parse(raw_case, parsed)
        outputs = compute(backend, case, path)
        fields = {f: results.encode(as_numpy(backend, outputs[f])) for f in case.outputs}
    except Exception as exc:  # one bad case never stops the others
        return results.error_result(case_id, exc)
    return cast(Result, {"id": case_id, **fields})


def applies(raw_case: RawCase, path: str) -> bool:
    """Whether `path` computes this case (cases of an unknown op run, and raise, on every path)."""
    return raw_case.get("op") in PATHS[path] or raw_case.get("op") not in cases.INPUTS


def run_cases(backend: Computes, raw_cases: Sequence[RawCase], path: str = "fast", *,
              progress: Progress | None = None, parsed: Parsed | None = None) -> list[Result]:
    chosen = [raw for raw in raw_cases if applies(raw, path)]
    found = []
    for index, raw_case in enumerate(chosen):
        found.append(run_case(backend, raw_case, path, parsed=parsed))
        if progress:
            progress(path, index + 1, len(chosen), raw_case["id"])
    return found


def run_paths(backend: Computes, raw_cases: Sequence[RawCase], *, progress: Progress | None = None,
              paths: Sequence[str] | None = None) -> results.Runs:
    """{"results": fast-path results, "paths": {"builtin": [...], "compiled": [...]}}, as a
    results file holds ("compiled" only where the backend offers it); `paths` limits the
    other paths to those named (the fast path always runs)."""
    fast, *others = PATHS
    parsed: Parsed = {}  # each case is parsed (validated) once, for every path
    return {
        "results": run_cases(backend, raw_cases, fast, progress=progress, parsed=parsed),
        "paths": {path: run_cases(backend, raw_cases, path, progress=progress, parsed=parsed)
                  for path in others if offers(backend, path) and (paths is None or path in paths)},
    }
