"""NumPy backend: the lesson in plain NumPy, computing in the case's dtype.

NumPy has no autograd, so `Conv2D` carries an explicit backward pass, and the "builtin"
learning loop is the vectorized gradient written out by hand.
"""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from spec.shapes import corr2d_output_shape

name = "numpy"


def versions():
    return {"framework": f"numpy {np.__version__}"}


def asarray(array):
    return np.array(array)


def to_numpy(array):
    return np.asarray(array)


def corr2d_loop(X, K):
    """The lesson's corr2d: one window at a time."""
    h, w = K.shape
    Y = np.zeros(corr2d_output_shape(X.shape, K.shape), dtype=np.result_type(X, K))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = (X[i : i + h, j : j + w] * K).sum()
    return Y


def corr2d(X, K):
    """All windows at once: a strided view (no copy) contracted with the kernel."""
    corr2d_output_shape(X.shape, K.shape)
    return np.einsum("ijab,ab->ij", sliding_window_view(X, K.shape), K)


def conv2d(X, K):
    return corr2d(X, np.flip(K))


def _full_conv2d(G, K):
    """Gradient of corr2d with respect to its input: G zero-padded, convolved with K."""
    kh, kw = K.shape
    return conv2d(np.pad(G, ((kh - 1, kh - 1), (kw - 1, kw - 1))), K)


class Conv2D:
    """The lesson's Conv2D layer, with the backward pass NumPy cannot derive for us."""

    def __init__(self, kernel_size, dtype="float32", seed=None):
        rng = np.random.default_rng(seed)
        self.weight = rng.uniform(size=kernel_size).astype(dtype)
        self.bias = np.zeros(1, dtype=dtype)

    def forward(self, x):
        self._x = x
        return corr2d(x, self.weight) + self.bias

    __call__ = forward

    def backward(self, grad_y):
        """Store weight and bias gradients of sum(grad_y * y); return the input gradient."""
        self.weight_grad = corr2d(self._x, grad_y)
        self.bias_grad = np.sum(grad_y, keepdims=True).reshape(1)
        return _full_conv2d(grad_y, self.weight)


def layer_forward(X, weight, bias):
    layer = Conv2D(weight.shape, dtype=X.dtype)
    layer.weight[...] = weight
    layer.bias[...] = bias
    return layer(X)


def learn(X, Y, K_init, lr, steps, layer):
    if layer == "builtin":
        K = K_init.copy()
        losses = []
        for _ in range(steps):
            residual = corr2d(X, K) - Y
            losses.append(float(np.sum(residual**2)))
            K -= lr * corr2d(X, 2 * residual)
        return losses, K
    conv = Conv2D(K_init.shape, dtype=X.dtype)
    conv.weight[...] = K_init
    losses = []
    for _ in range(steps):
        residual = conv(X) - Y
        losses.append(float(np.sum(residual**2)))
        conv.backward(2 * residual)
        conv.weight -= lr * conv.weight_grad  # no bias is learned in the lesson's loop
    return losses, conv.weight
