"""Tolerances per dtype, derived from a rounding-error bound (not tuned to pass).

Let u be the unit roundoff of the dtype (float32: 2**-24, float64: 2**-53) and
gamma(n) = n*u / (1 - n*u).

Forward ops (corr2d, conv2d, layer). Each output element is a sum of n = (C_in/G)*kh*kw
products x*k, G the groups (the layer's bias is one more term, times 1; padding adds exact
zeros, or exact copies of inputs: reflected, replicated, wrapped). The case's inputs are
rounded to the dtype once (relative error <= u for x and for k); then, whatever order a
framework sums in
(sequential, pairwise, blocked, with or without FMA), Higham's bound for a computed dot
product gives |fl(sum) - sum| <= gamma(n) * sum |x*k| (Accuracy and Stability of Numerical
Algorithms, 2nd ed., section 3.1). Together, elementwise:

    |Y_backend - Y_exact| <= gamma(n + 2) * (|X| corr |K|)        (+ |bias| for the layer)

Gradients (grad). dX, dK and db of sum(G * (corr2d(X, K) + bias)) are sums of the same kind,
of at most n = max((C_out/G)*kh*kw*copies, N*H'*W') products, so each field's bound is
gamma(n + 2) times the same gradient computed from |X|, |K|, |bias| and |G|; `copies` is
the most positions of the padded input that copy one input element (1 with zeros; the
reflected, replicated or wrapped ones add theirs to its gradient).

Learning loop. Write the loss as ||A k - y||^2, k the learned parameters (the kernel, and
the bias where the case learns it) and A the matrix of the forward map on them.
Per step, the rounding of the forward pass, of the residual, of the loss sum (m outputs),
of the gradient 2 A^T R (m terms) and of the update bound a local error vector l_t; an
error e_t already in the kernel goes through the exact linear update
k -> k - 2*lr*A^T (A k - y), whose matrix I - 2*lr*A^T A has 2-norm rho. So (first order)

    ||k_t error||_2 <= e_t,   e_0 = u*||K_init||_2,   e_{t+1} = rho*e_t + ||l_t||_2,

the final kernel's tolerance is e_steps per element, and each loss's tolerance follows from
the residual's elementwise error bound dR (rounding plus |A_i| . e_t by Cauchy-Schwarz):
gamma(m + 1)*sum (|R| + dR)^2 + 2*sum |R|*dR + sum dR^2.

Underflow and flushed subnormals. The relative model above fails below the smallest normal
number `tiny` (float32: 2**-126): a product or sum may underflow, and a framework may flush
subnormal inputs and results to zero (on CPU TensorFlow and JAX/XLA do, FTZ/DAZ; NumPy,
PyTorch and MXNet keep them; tests/test_special_values.py shows both). Flushing an input x changes a
product by at most tiny*|k|, flushing a result by at most tiny, so every bound also gets the
absolute term tiny * (sum of |x| and |k| over the products, plus 3 per product).

Special values. NaN and +-inf in inputs follow IEEE arithmetic in every backend, zero
padding included: a window holding NaN gives NaN, inf*0 (a zero tap, or a zero of the
padding times an infinite kernel tap) gives NaN, and inf + -inf gives NaN. `compare`
requires NaN exactly where the reference has NaN and the same infinities (an infinite error
is never within a tolerance, even where the bound is infinite itself). Inputs whose
exact results or partial sums leave the dtype's range (overflow) are outside the contract:
where a sum overflows then depends on the order of summation.

A backend is compared with the float64 reference, which has its own (tiny) error, so
backend-vs-reference allows bound(dtype) + bound(float64), and backend-vs-backend allows
twice bound(dtype): each of the two is within bound(dtype) of the exact value.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import NDArray

from convsuite.spec import reference, shapes

UNIT_ROUNDOFF = {"float32": 2.0**-24, "float64": 2.0**-53}
TINY = {"float32": 2.0**-126, "float64": 2.0**-1022}  # the smallest normal numbers


Bound = NDArray[np.float64]

if TYPE_CHECKING:
    from convsuite.spec.cases import Case


def gamma(n: int, dtype: str) -> float:
    nu = n * UNIT_ROUNDOFF[dtype]
    return nu / (1 - nu)


def _terms_per_output(case: Case) -> int:
    """Products summed into one output element: (C_in / G) * kh * kw (K's channels are one
    group's), plus the bias."""
    _, c_in_per_group, kh, kw = case.geometry.k4
    return c_in_per_group * kh * kw + (0 if case.op in ("corr2d", "conv2d") else 1)


def _copies(g: shapes.ResolvedGeometry) -> int:
    """The most positions of the padded input that copy one input element."""
    copies = 1
    for n, (before, after) in zip(g.x4[2:], g.padding):
        sources = [i for i in shapes.padded_indices(n, (before, after), g.padding_mode) if i is not None]
        copies *= max(sources.count(i) for i in range(n))
    return copies


def _underflow(dtype: str, sum_of_factors: Any, products: int) -> Any:
    """Absolute error of flushed or underflowed subnormals (see the module's docstring)."""
    return TINY[dtype] * (sum_of_factors + 3 * products)


def _forward_bound(case: Case, dtype: str) -> Bound:
    inputs, geometry = case.inputs, case.geometry.settings
    X = np.abs(inputs["X"].astype(np.float64))
    kernel = inputs["weight"] if case.op == "layer" else inputs["K"]
    K = np.abs(kernel.astype(np.float64))
    bias = np.abs(inputs["bias"]) if case.op == "layer" else np.zeros(case.geometry.k4[0])
    op = reference.conv2d if case.op == "conv2d" else reference.corr2d
    magnitude = op(X, K, geometry) + bias.reshape(case.geometry.bias_shape)
    n = _terms_per_output(case)
    factors = op(X, np.ones(K.shape), geometry) + op(np.ones(X.shape), K, geometry)
    bound: Bound = gamma(n + 2, dtype) * magnitude + _underflow(dtype, factors + bias.reshape(case.geometry.bias_shape), n)
    return bound


def _grad_bound(case: Case, dtype: str) -> dict[str, Bound]:
    inputs, g = case.inputs, case.geometry
    X, K, bias, G = (np.abs(inputs[f].astype(np.float64)) for f in ("X", "K", "bias", "G"))
    magnitudes = reference.grad(X, K, bias, G=G, geometry=g.settings)
    # dX sums at most (C_out/G)*kh*kw products per copy of an input element, dK and db
    # sum over N*H'*W' output positions.
    c_out, _, kh, kw = g.k4
    terms = max(c_out // g.groups * kh * kw * _copies(g), g.out4[0] * g.out4[2] * g.out4[3])
    ones = [np.ones(inputs[f].shape) for f in ("X", "K", "bias", "G")]
    absolute = [np.abs(inputs[f].astype(np.float64)) for f in ("X", "K", "bias", "G")]
    # Sums of the factors of each gradient's products: swap one factor at a time for ones.
    factors = [sum(parts) for parts in zip(*(
        _grad_of([ones[i] if i == j else absolute[i] for i in range(4)], g.settings) for j in (0, 1, 3)))]
    return {
        name: gamma(terms + 2, dtype) * magnitude + _underflow(dtype, factor, terms)
        for name, magnitude, factor in zip(("dX", "dK", "db"), magnitudes, factors)
    }


def _grad_of(arrays: list[NDArray[Any]], geometry: shapes.Geometry) -> tuple[Bound, Bound, Bound]:
    """The reference's gradients of (X, K, bias, G)."""
    X, K, bias, G = arrays
    return reference.grad(X, K, bias, G=G, geometry=geometry)


def _parameter_matrix(case: Case) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """A and c with layer_forward(X, K, bias).ravel() == A @ params + c, where params is
    K.ravel() followed, when the case learns it, by the bias; c is a fixed bias.

    corr2d is linear in K, so one call with an identity basis of (C_in/G)*kh*kw kernels on
    a group's input channels gives the columns of each of its output channels' blocks; the
    blocks sit on A's diagonal."""
    inputs, g = case.inputs, case.geometry
    n, (c_out, c_in, kh, kw), (oh, ow) = g.x4[0], g.k4, g.out4[2:]
    q = c_in * kh * kw
    basis = np.eye(q).reshape(q, c_in, kh, kw)
    X4 = inputs["X"].astype(np.float64).reshape(g.x4)
    one_group = dataclasses.replace(g.settings, groups=1)
    windows = [reference.corr2d(X4[:, channels], basis, one_group).reshape(n, q, oh * ow)
               for channels, _ in g.group_slices]
    blocks = np.zeros((n, c_out, oh * ow, c_out, q))
    channel_of = np.zeros((n, c_out, oh * ow, c_out))
    for o in range(c_out):
        blocks[:, o, :, o, :] = windows[o // (c_out // g.groups)].transpose(0, 2, 1)
        channel_of[:, o, :, o] = 1.0
    A, ones = blocks.reshape(-1, c_out * q), channel_of.reshape(-1, c_out)
    bias = inputs["bias"].astype(np.float64)
    if inputs["learn_bias"]:
        return np.concatenate([A, ones], axis=1), np.zeros(A.shape[0])
    return A, ones @ bias


def _learn_bound(case: Case, dtype: str) -> dict[str, Bound]:
    inputs = case.inputs
    lr, steps, u = inputs["lr"], inputs["steps"], UNIT_ROUNDOFF[dtype]
    A, fixed = _parameter_matrix(case)
    m, p = A.shape
    n = _terms_per_output(case)
    abs_A, row_norms = np.abs(A), np.linalg.norm(A, axis=1)
    rho = np.linalg.norm(np.eye(p) - 2 * lr * A.T @ A, 2)
    y = inputs["Y"].astype(np.float64).ravel() - fixed
    k = inputs["K_init"].astype(np.float64).ravel()
    if inputs["learn_bias"]:
        k = np.concatenate([k, inputs["bias"].astype(np.float64)])
    e = u * np.linalg.norm(k)
    loss_bounds = []
    for _ in range(steps):
        R = A @ k - y
        # Rounding in the residual: products (X rounded too), Y rounded, then the subtraction.
        rounding = gamma(n + 1, dtype) * (abs_A @ (np.abs(k) + e) + np.abs(fixed)) + u * np.abs(y + fixed)
        rounding += _underflow(dtype, abs_A.sum(axis=1) + np.sum(np.abs(k) + e), n)
        rounding += u * (np.abs(R) + rounding + row_norms * e)
        dR = rounding + row_norms * e
        loss_bounds.append(
            gamma(m + 1, dtype) * np.sum((np.abs(R) + dR) ** 2)
            + 2 * np.sum(np.abs(R) * dR)
            + np.sum(dR**2)
        )
        g = 2 * A.T @ R
        g_error = 2 * abs_A.T @ rounding + gamma(m + 2, dtype) * 2 * abs_A.T @ (np.abs(R) + dR)
        k = k - lr * g
        g_error += _underflow(dtype, abs_A.sum(axis=0) + np.sum(np.abs(R) + dR), m)
        local = lr * g_error + gamma(2, dtype) * lr * (np.abs(g) + g_error)
        local += u * (np.abs(k) + lr * g_error + rho * e)
        e = rho * e + np.linalg.norm(local)
    bounds = {"losses": np.array(loss_bounds), "K": np.full(inputs["K_init"].shape, e)}
    if inputs["learn_bias"]:
        bounds["bias"] = np.full(inputs["bias"].shape, e)
    return bounds


def bounds(case: Case, dtype: str) -> dict[str, Bound]:
    """Elementwise error bound, per result field, of `case` computed in `dtype`."""
    if case.op in ("corr2d", "conv2d", "layer"):
        return {"Y": _forward_bound(case, dtype)}
    if case.op == "grad":
        return _grad_bound(case, dtype)
    if case.op == "learn":
        return _learn_bound(case, dtype)
    raise ValueError(f"no tolerance rule for op {case.op!r}")


def versus_reference(case: Case) -> dict[str, Bound]:
    own, ref = bounds(case, case.dtype), bounds(case, "float64")
    return {field: own[field] + ref[field] for field in own}


def between_backends(case: Case) -> dict[str, Bound]:
    return {field: 2 * bound for field, bound in bounds(case, case.dtype).items()}
