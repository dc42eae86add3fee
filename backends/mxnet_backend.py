"""MXNet Gluon backend: the lesson's MXNet code, recorded with autograd.

Layouts: Gluon's Conv2D takes input as NCHW and weights as OIHW (out, in, h, w).
MXNet 1.9.1 needs NumPy < 1.24 (it uses the removed `np.bool` alias).
"""

import mxnet as mx
import numpy as np
from mxnet import autograd, nd
from mxnet.gluon import nn

from spec.shapes import corr2d_output_shape

name = "mxnet"


def versions():
    return {"framework": f"mxnet {mx.__version__}"}


def asarray(array):
    array = np.array(array)
    return nd.array(array, dtype=array.dtype)


def to_numpy(tensor):
    return tensor.asnumpy()


def corr2d_loop(X, K):
    """The lesson's corr2d: one window at a time (item assignment, so not differentiable)."""
    h, w = K.shape
    Y = nd.zeros(corr2d_output_shape(X.shape, K.shape), dtype=X.dtype)
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = (X[i : i + h, j : j + w] * K).sum()
    return Y


def corr2d(X, K):
    """Sum over the kernel's offsets of K[a, b] times the shifted input; recordable."""
    oh, ow = corr2d_output_shape(X.shape, K.shape)
    Y = nd.zeros((oh, ow), dtype=X.dtype)
    for a in range(K.shape[0]):
        for b in range(K.shape[1]):
            # K[a, b] is a shape-(1,) NDArray (MXNet 1.x has no 0-d arrays); `*` broadcasts.
            Y = Y + K[a, b] * X[a : a + oh, b : b + ow]
    return Y


def conv2d(X, K):
    return corr2d(X, nd.flip(nd.flip(K, axis=0), axis=1))


class Conv2D(nn.Block):
    """The lesson's Conv2D block (its forward uses the differentiable corr2d)."""

    def __init__(self, kernel_size, **kwargs):
        super().__init__(**kwargs)
        self.weight = self.params.get("weight", shape=kernel_size)
        self.bias = self.params.get("bias", shape=(1,))

    def forward(self, x):
        return corr2d(x, self.weight.data()) + self.bias.data()


def _custom_layer(weight, bias, dtype):
    layer = Conv2D(tuple(weight.shape))
    layer.initialize()
    layer.cast(dtype)
    layer.weight.set_data(weight)
    layer.bias.set_data(nd.array([bias], dtype=dtype))
    return layer


def layer_forward(X, weight, bias):
    return _custom_layer(weight, bias, X.dtype)(X)


def _builtin_layer(K_init):
    """Gluon nn.Conv2D with one channel in and out, its OIHW weight set to K_init."""
    conv = nn.Conv2D(1, kernel_size=K_init.shape, in_channels=1, use_bias=False)
    conv.initialize()
    conv.cast(K_init.dtype)
    conv.weight.set_data(K_init.reshape((1, 1, *K_init.shape)))
    return conv


def learn(X, Y, K_init, lr, steps, layer):
    if layer == "builtin":
        conv = _builtin_layer(K_init)
        # A single image with a single channel: (H, W) -> NCHW (1, 1, H, W).
        X, Y = X.reshape((1, 1, *X.shape)), Y.reshape((1, 1, *Y.shape))
    else:
        conv = _custom_layer(K_init, 0.0, K_init.dtype)
    losses = []
    for _ in range(steps):
        with autograd.record():
            Y_hat = conv(X)
            l = (Y_hat - Y) ** 2
        l.backward()  # a non-scalar head: MXNet backpropagates ones, i.e. sum(l)
        losses.append(l.sum().asscalar().item())
        conv.weight.data()[:] -= lr * conv.weight.grad()  # the lesson learns no bias
    return losses, conv.weight.data().reshape(K_init.shape)
