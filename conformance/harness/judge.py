"""One result against one target, field by field: the worst element and its error.

Every numeric field must have the target's shape, NaN where it has NaN, the same infinity
where it has an infinity (and none where it has a number: an infinite error is never within
a tolerance, even one that is itself infinite because the case's values are), and stay
within the tolerance, element by element. A target that raises must be met by the same
exception type.
"""

import numpy as np

from convsuite.conformance.harness.outcome import Failure, Mismatch
from convsuite.conformance.harness.results import decode


def worst(got, want, tol, field=""):
    """Max abs error, and the Mismatch of the worst element beyond `tol` (or None)."""
    got, want = decode(got), decode(want)
    if got.shape != want.shape:
        return np.inf, Mismatch(field, shape=(got.shape, want.shape))
    nan_mismatch = np.isnan(got) != np.isnan(want)
    if nan_mismatch.any():
        index = tuple(int(i) for i in np.argwhere(nan_mismatch)[0])
        return np.inf, Mismatch(field, index, float(got[index]), float(want[index]))
    both = ~np.isnan(got)
    with np.errstate(invalid="ignore"):
        error = np.where(both, np.abs(got - want), 0.0)
        same_infinity = both & np.isinf(want) & (got == want)
    error = np.where(same_infinity, 0.0, error)
    limit = np.broadcast_to(tol, error.shape)
    excess = np.where((error > limit) | np.isinf(error), error, -1.0)
    max_error = float(error.max()) if error.size else 0.0
    if excess.max(initial=-1.0) < 0:
        return max_error, None
    index = tuple(int(i) for i in np.unravel_index(np.argmax(excess), error.shape))
    return max_error, Mismatch(field, index, float(got[index]), float(want[index]),
                               float(error[index]), float(limit[index]))


def judge(result, target, tol, fields, against, backend, case, kind="reference"):
    """Max abs error of `result` against `target` (a result-like dict), and its Failures."""
    failures, max_error = [], 0.0
    failure = lambda **how: Failure(backend=backend, case=case, against=against, **how)  # noqa: E731
    if "error" in target:
        want = target["error"]
        want = want["type"] if isinstance(want, dict) else want
        got = result.get("error", {}).get("type")
        if got != want:
            failures.append(failure(kind="raised", detail=f"{got or 'nothing'}, {against} raises {want}"))
        return max_error, failures
    if "error" in result:
        return np.inf, [failure(kind="raised", error=result["error"])]
    for name in fields:
        if name not in target:
            continue
        if name not in result:
            failures.append(failure(kind="no-field", detail=name))
            continue
        error, mismatch = worst(result[name], target[name], tol.get(name, 0.0), name)
        max_error = max(max_error, error)
        if mismatch:
            failures.append(failure(kind=kind, mismatch=mismatch))
    return max_error, failures


def ratio(result, target, tol, fields):
    """Max of |error| / tolerance over `fields` and their elements, the error measured as in
    `worst`: inf where the shape or NaN differ or only one of the two raised, None where
    both raised (there is no number to measure)."""
    if "error" in target or "error" in result:
        return None if "error" in target and "error" in result else np.inf
    largest = 0.0
    for name in fields:
        if name not in target:
            continue
        if name not in result:
            return np.inf
        got, want = decode(result[name]), decode(target[name])
        if got.shape != want.shape or (np.isnan(got) != np.isnan(want)).any():
            return np.inf
        error = np.where(np.isnan(want) | (got == want), 0.0, np.abs(got - want))
        limit = np.broadcast_to(tol.get(name, 0.0), error.shape)
        with np.errstate(invalid="ignore", divide="ignore"):
            shares = np.where(error == 0, 0.0, np.where(np.isinf(error), np.inf, error / limit))
        largest = max(largest, float(shares.max(initial=0.0)))
    return largest
