"""One result against one target, field by field: the worst element and its error.

Every numeric field must have the target's shape, NaN where it has NaN, the same infinity
where it has an infinity (and none where it has a number: an infinite error is never within
a tolerance, even one that is itself infinite because the case's values are), and stay
within the tolerance, element by element. A target that raises must be met by the same
exception type.

The error of each element is measured once: its largest, the worst element past the
tolerance and the largest share of the tolerance all come from the same numbers.
"""

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from convsuite.conformance.harness.outcome import Failure, FailureKind, Mismatch
from convsuite.conformance.harness.results import decode, error_of, raised

# A result, or what it is judged against: {field: array (either form of the file, or
# decoded)} and/or {"error": {"type", "message"}} (a case's expect: {"error": type}).
ResultLike = Mapping[str, object]
Tolerances = Mapping[str, ArrayLike]


@dataclass(frozen=True)
class Measure:
    """One field against its target: its max |error|, its max |error| / tolerance (inf
    where the shapes or NaNs differ, or an error is infinite) and the worst element beyond
    the tolerance (None where every one is within it)."""

    error: float
    ratio: float
    mismatch: Mismatch | None


@dataclass(frozen=True)
class Judgement:
    """A result against a target: its max |error|; its max |error| / tolerance (None where
    both raised: there is no number to measure); and every failure."""

    error: float
    ratio: float | None
    failures: list[Failure] = field(default_factory=list)


def measure(got: object, want: object, tol: ArrayLike, *, field: str = "") -> Measure:
    """`got` against `want`, element by element, within `tol` (a number or an array)."""
    got, want = decode(got), decode(want)
    if got.shape != want.shape:
        return Measure(np.inf, np.inf, Mismatch(field, shape=(got.shape, want.shape)))
    nan_mismatch = np.isnan(got) != np.isnan(want)
    if nan_mismatch.any():
        index = tuple(int(i) for i in np.argwhere(nan_mismatch)[0])
        return Measure(np.inf, np.inf, Mismatch(field, index, float(got[index]), float(want[index])))
    with np.errstate(invalid="ignore", divide="ignore"):
        error = np.subtract(got, want, out=np.empty(got.shape))  # an array even at rank 0
        np.abs(error, out=error)
        # NaN here only where both are NaN or both the same infinity (inf - inf): no error.
        np.copyto(error, 0.0, where=np.isnan(error))
        max_error = float(error.max()) if error.size else 0.0
        limit = np.broadcast_to(tol, error.shape)
        if not math.isinf(max_error):  # the usual case: no infinite error to weigh apart
            ratio = float(np.where(error == 0, 0.0, error / limit).max(initial=0.0))
            if not (error > limit).any():
                return Measure(max_error, ratio, None)
        else:
            ratio = float(np.where(error == 0, 0.0, np.where(np.isinf(error), np.inf, error / limit)).max(initial=0.0))
    excess = np.where((error > limit) | np.isinf(error), error, -1.0)
    if excess.max(initial=-1.0) < 0:
        return Measure(max_error, ratio, None)
    index = tuple(int(i) for i in np.unravel_index(np.argmax(excess), error.shape))
    return Measure(max_error, ratio, Mismatch(field, index, float(got[index]), float(want[index]),
                                              float(error[index]), float(limit[index])))


def worst(got: object, want: object, tol: ArrayLike, *, field: str = "") -> tuple[float, Mismatch | None]:
    """Max abs error, and the Mismatch of the worst element beyond `tol` (or None)."""
    found = measure(got, want, tol, field=field)
    return found.error, found.mismatch


def judge(result: ResultLike, target: ResultLike, *, tol: Tolerances, fields: Iterable[str], against: str,
          column: str, case: str, kind: FailureKind = "reference") -> Judgement:
    """`result` (of `column`, on `case`) against `target` (named `against` in its failures),
    field by field: its max abs error, its max share of `tol` and its Failures."""

    def failure(**how: Any) -> Failure:
        return Failure(backend=column, case=case, against=against, **how)

    if "error" in target:
        want, got = raised(target), raised(result)
        detail = f"{got or 'nothing'}, {against} raises {want}"
        failures = [] if got == want else [failure(kind="raised", detail=detail)]
        return Judgement(0.0, None if "error" in result else np.inf, failures)
    if "error" in result:
        return Judgement(np.inf, np.inf, [failure(kind="raised", error=error_of(result))])
    found: list[Failure] = []
    max_error, ratio = 0.0, 0.0
    for name in fields:
        if name not in target:
            continue
        if name not in result:
            found.append(failure(kind="no-field", detail=name))
            ratio = np.inf
            continue
        field_measure = measure(result[name], target[name], tol.get(name, 0.0), field=name)
        max_error, ratio = max(max_error, field_measure.error), max(ratio, field_measure.ratio)
        if field_measure.mismatch:
            found.append(failure(kind=kind, mismatch=field_measure.mismatch))
    return Judgement(max_error, ratio, found)


def ratio(result: ResultLike, target: ResultLike, *, tol: Tolerances, fields: Iterable[str]) -> float | None:
    """Max of |error| / tolerance over `fields` and their elements (`Judgement.ratio`): inf
    where the shape or NaN differ or only one of the two raised, None where both raised."""
    return judge(result, target, tol=tol, fields=fields, against="", column="", case="").ratio

