"""Hints for mistakes a person would recognise, found by recomputing the case the wrong way.

A failing result is held against the float64 reference computed with one mistake made on
purpose; where it matches, and that mistake gives a result the expected one is not (the same
closeness both ways: an alternative the expected output is close to, as a kernel flipped on
an output that is near zero everywhere or a symmetric kernel flipped, tells nothing), the
hint names the mistake:
- the kernel flipped (the function computes a convolution, or a "convolution" that does not);
- the output transposed;
- the padding applied to the wrong axis (the height's to the width: np.pad's pad_width is
  ((top, bottom), (left, right)));
- an off-by-one window (one output row or column too few or too many);
- an output that holds integers (an array made with an integer dtype, np.zeros(..., dtype=int):
  each window's sum is cut toward zero as it is stored; for a layer, that of the correlation
  it adds the bias to, or its own);
- the bias dropped or added twice (a layer);
- a weight that took the input's shape, and a parameter that is not a parameter (a layer's
  structure, reported by the child: see `conformance.check.child.layers`);
- a port that computes in float32 only (set by `judge.judge_run`, which sees every case of a
  function: float64 inputs raise a dtype error where its float32 cases pass).

The alternatives are computed in the case's whole geometry (groups and padding mode too). A
hint is a courtesy: one that cannot be computed is no hint, never an error of the run.
"""

import dataclasses
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import numpy as np

from convsuite.conformance.check.judging.plan import kernel_of
from convsuite.conformance.check.sandbox.messages import LayerInfo
from convsuite.spec import cases, reference

HINTS = {
    "flipped": "the kernel is flipped: this computes a convolution, not a cross-correlation "
               "(the lesson multiplies X[i:i + h, j:j + w] by K as it is)",
    "unflipped": "the kernel is not flipped: this computes a cross-correlation, not a convolution",
    "transposed": "the output is transposed: its rows are the expected columns",
    "padding-axis": "the padding is applied to the wrong axis: the height's padding went to the width "
                    "(np.pad's pad_width is ((top, bottom), (left, right)), height first)",
    "off-by-one": "an off-by-one window: the output has {got} windows where the lesson's size rule gives "
                  "{want} (H - kh + 1 along each axis)",
    "integer": "the output holds integers: each window's sum is cut to a whole number as it is stored in an "
               "integer array (np.zeros(..., dtype=int)); the output must be floating point: "
               "np.zeros(..., dtype=X.dtype), or dtype=float",
    "dropped-bias": "the bias is dropped: the output is the cross-correlation alone",
    "double-bias": "the bias is added twice",
    "input-shaped-weight": "the weight took the input's shape {shape}, not the kernel size {kernel}: "
                           "it is made from the first input (a build() that receives the input's shape)",
    "not-a-parameter": "the {which} is a plain {kind}, not a parameter of the layer: it computes the forward "
                       "pass but the framework neither lists nor trains it",
    "no-array": "the {which} is a {kind}, not a parameter: it describes one (a name, an initializer) but holds "
                "no array to compute with or train; make the parameter itself (create_parameter, Parameter, "
                "add_weight, params.get)",
}
FLOAT32_ONLY = ("this port computes in float32 only: float64 inputs make it raise a dtype error where its float32 "
                "cases pass; make its output (the zeros it fills) in the input's dtype to take float64 too")


def _close(got: np.ndarray, alternative: Any) -> bool:
    """Whether `got` is `alternative` within rounding (of a float32 computation too), on the
    alternative's scale: one rule for the result and for the expected output alike."""
    alternative = np.asarray(alternative, np.float64)
    if got.shape != alternative.shape:
        return False
    scale = max(1.0, float(np.nanmax(np.abs(alternative), initial=0.0)))
    return bool(np.allclose(got, alternative, rtol=1e-4, atol=1e-5 * scale, equal_nan=True))


def _integers(values: np.ndarray, then: Any = 0.0) -> np.ndarray | None:
    """`values` cut toward zero as an integer array stores them (`then` added after), or None
    where no whole number is left (all zeros: an output left unfilled looks the same)."""
    cut = np.trunc(values)
    return cut + then if np.any(cut[np.isfinite(cut)] != 0) else None


Alternative = tuple[str, Callable[[], Any]]


def _alternatives(case: cases.Case, expected: np.ndarray) -> Iterator[Alternative]:
    """(name, a function computing the wrong result): each computed alone, so that one that
    cannot be computed leaves the others."""
    X = case.inputs["X"].astype(np.float64)
    K = kernel_of(case).astype(np.float64)
    flip = reference.corr2d if case.op == "conv2d" else reference.conv2d
    geometry = case.geometry.settings
    yield ("unflipped" if case.op == "conv2d" else "flipped"), lambda: flip(X, K, geometry)
    if expected.ndim >= 2 and expected.shape[-1] != 1:
        yield "transposed", lambda: np.swapaxes(expected, -1, -2)
    (top, bottom), (left, right) = case.geometry.padding
    if (top, bottom) != (left, right):
        swapped = ((left, right), (top, bottom))
        yield "padding-axis", lambda: reference.corr2d(X, K, dataclasses.replace(geometry, padding=swapped))
    yield "integer", lambda: _integers(expected)
    if case.op == "layer":
        bias = case.inputs["bias"].astype(np.float64).reshape(case.geometry.bias_shape)
        yield "integer", lambda: _integers(expected - bias, then=bias)  # the correlation's integers, then the bias
        yield "dropped-bias", lambda: expected - bias
        yield "double-bias", lambda: expected + bias


def _computed(alternative: Callable[[], Any]) -> Any:
    try:
        return alternative()
    except Exception:  # a mistake that cannot be made on this case (a swapped padding too large)
        return None


Finder = TypeVar("Finder", bound=Callable[..., str | None])


def _never_raises(find: Finder) -> Finder:
    """A hint finder whose own failure is no hint (None), never an error of the check."""
    def safely(*args: Any) -> str | None:
        try:
            return find(*args)
        except Exception:
            return None
    safely.__name__, safely.__doc__ = find.__name__, find.__doc__
    return safely  # type: ignore[return-value]  # the same arguments, and None where it raised


@_never_raises
def for_values(case: cases.Case, got: Any, expected: Any) -> str | None:
    """A hint for a forward result `got` that fails against `expected`, or None."""
    got, expected = np.asarray(got, np.float64), np.asarray(expected, np.float64)
    if case.op not in ("corr2d", "conv2d", "layer"):
        return None
    for name, alternative in _alternatives(case, expected):
        wrong = _computed(alternative)
        if wrong is not None and _close(got, wrong) and not _close(expected, wrong):
            return HINTS[name]
    if got.ndim == expected.ndim and got.ndim >= 2 and got.shape[:-2] == expected.shape[:-2]:
        delta = [a - b for a, b in zip(got.shape[-2:], expected.shape[-2:])]
        if any(delta) and all(d in (-1, 0, 1) for d in delta):
            rows, cols = (min(a, b) for a, b in zip(got.shape[-2:], expected.shape[-2:]))
            if _close(got[..., :rows, :cols], expected[..., :rows, :cols]) or got.size == 0 or expected.size == 0:
                return HINTS["off-by-one"].format(got="x".join(map(str, got.shape[-2:])),
                                                  want="x".join(map(str, expected.shape[-2:])))
    return None


@_never_raises
def for_layer(info: LayerInfo, X_shape: tuple[int, ...]) -> str | None:
    """A hint from the layer's structure (weight shape, registration), or None."""
    kernel = tuple(info.get("kernel_size") or ())
    shape = tuple(info.get("weight_shape") or ())
    if info.get("problem") == "weight-shape" and shape == tuple(X_shape):
        return HINTS["input-shaped-weight"].format(shape=shape, kernel=kernel)
    if info.get("problem") == "not-a-parameter":
        return HINTS["no-array"].format(which="weight", kind=info.get("weight_type", "object"))
    for which, key in (("weight", "registered"), ("bias", "bias_registered")):
        if info.get(key) is False:
            return HINTS["not-a-parameter"].format(which=which, kind=info.get(f"{which}_type", "tensor"))
    return None
