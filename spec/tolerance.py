"""Tolerances per dtype, derived from a rounding-error bound (not tuned to pass).

Let u be the unit roundoff of the dtype (float32: 2**-24, float64: 2**-53) and
gamma(n) = n*u / (1 - n*u).

Forward ops (corr2d, conv2d, layer). Each output element is a sum of n = kh*kw products
x*k (the layer's bias is one more term, times 1). The case's inputs are rounded to the dtype
once (relative error <= u for x and for k); then, whatever order a framework sums in
(sequential, pairwise, blocked, with or without FMA), Higham's bound for a computed dot
product gives |fl(sum) - sum| <= gamma(n) * sum |x*k| (Accuracy and Stability of Numerical
Algorithms, 2nd ed., section 3.1). Together, elementwise:

    |Y_backend - Y_exact| <= gamma(n + 2) * (|X| corr |K|)        (+ |bias| for the layer)

Learning loop. Write the loss as ||A k - y||^2 with A the (outputs x kernel) window matrix.
Per step, the rounding of the forward pass, of the residual, of the loss sum (m outputs),
of the gradient 2 A^T R (m terms) and of the update bound a local error vector l_t; an
error e_t already in the kernel goes through the exact linear update
k -> k - 2*lr*A^T (A k - y), whose matrix I - 2*lr*A^T A has 2-norm rho. So (first order)

    ||k_t error||_2 <= e_t,   e_0 = u*||K_init||_2,   e_{t+1} = rho*e_t + ||l_t||_2,

the final kernel's tolerance is e_steps per element, and each loss's tolerance follows from
the residual's elementwise error bound dR (rounding plus |A_i| . e_t by Cauchy-Schwarz):
gamma(m + 1)*sum (|R| + dR)^2 + 2*sum |R|*dR + sum dR^2.

A backend is compared with the float64 reference, which has its own (tiny) error, so
backend-vs-reference allows bound(dtype) + bound(float64), and backend-vs-backend allows
twice bound(dtype): each of the two is within bound(dtype) of the exact value.
"""

import numpy as np

from spec import reference

UNIT_ROUNDOFF = {"float32": 2.0**-24, "float64": 2.0**-53}


def gamma(n, dtype):
    nu = n * UNIT_ROUNDOFF[dtype]
    return nu / (1 - nu)


def _window_matrix(X, kernel_shape):
    """A with A @ K.ravel() == corr2d(X, K).ravel(): row i is the window of output i."""
    kh, kw = kernel_shape
    oh, ow = X.shape[0] - kh + 1, X.shape[1] - kw + 1
    columns = [X[a : a + oh, b : b + ow].ravel() for a in range(kh) for b in range(kw)]
    return np.stack(columns, axis=1)


def _forward_bound(X, K, bias, dtype):
    terms = K.size + (1 if bias else 0)
    return gamma(terms + 2, dtype) * (reference.corr2d(np.abs(X), np.abs(K)) + abs(bias))


def _learn_bound(X, Y, K_init, lr, steps, dtype):
    u = UNIT_ROUNDOFF[dtype]
    A = _window_matrix(np.asarray(X, np.float64), K_init.shape)
    m, n = A.shape
    abs_A, row_norms = np.abs(A), np.linalg.norm(A, axis=1)
    rho = np.linalg.norm(np.eye(n) - 2 * lr * A.T @ A, 2)
    y, k = np.asarray(Y, np.float64).ravel(), np.asarray(K_init, np.float64).ravel()
    e = u * np.linalg.norm(k)
    loss_bounds = []
    for _ in range(steps):
        R = A @ k - y
        # Rounding in the residual: products (X rounded too), Y rounded, then the subtraction.
        rounding = gamma(n + 1, dtype) * (abs_A @ (np.abs(k) + e)) + u * np.abs(y)
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
        local = lr * g_error + gamma(2, dtype) * lr * (np.abs(g) + g_error)
        local += u * (np.abs(k) + lr * g_error + rho * e)
        e = rho * e + np.linalg.norm(local)
    return {"losses": np.array(loss_bounds), "K": np.full(K_init.shape, e)}


def bounds(case, dtype):
    """Elementwise error bound, per result field, of `case` computed in `dtype`."""
    inputs = case.inputs
    if case.op == "corr2d":
        return {"Y": _forward_bound(inputs["X"], inputs["K"], 0.0, dtype)}
    if case.op == "conv2d":
        return {"Y": _forward_bound(inputs["X"], inputs["K"][::-1, ::-1], 0.0, dtype)}
    if case.op == "layer":
        return {"Y": _forward_bound(inputs["X"], inputs["weight"], inputs["bias"], dtype)}
    if case.op == "learn":
        return _learn_bound(
            inputs["X"], inputs["Y"], inputs["K_init"], inputs["lr"], inputs["steps"], dtype
        )
    raise ValueError(f"no tolerance rule for op {case.op!r}")


def versus_reference(case):
    own, ref = bounds(case, case.dtype), bounds(case, "float64")
    return {field: own[field] + ref[field] for field in own}


def between_backends(case):
    return {field: 2 * bound for field, bound in bounds(case, case.dtype).items()}
