"""The lesson's Conv2D layer and what the cases do with a layer: one forward pass, the
gradients, the learning loop (on it, or on the built-in path's layer)."""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from convsuite.spec.shapes import DEFAULT, conv_geometry

from .builtin import BuiltinConv2D, _padded, _unpadded
from .fast import _corr2d


class Conv2D:
    """The lesson's Conv2D layer, with the backward pass NumPy cannot derive for us."""

    def __init__(self, kernel_size, geometry=DEFAULT, *, dtype="float32", seed=None):
        rng = np.random.default_rng(seed)
        self.weight = rng.uniform(size=kernel_size).astype(dtype)
        self.bias = np.zeros(kernel_size[0] if len(kernel_size) == 4 else 1, dtype=dtype)
        self.geometry = geometry
        # Whether backward() returns dX: autograd skips the gradient of an input that needs
        # none, and so does this layer when the loop only learns the kernel.
        self.input_grad = True

    def _geometry(self, x):
        if getattr(self, "_shapes", None) != (x.shape, self.weight.shape):  # computed once per shape
            self._shapes = (x.shape, self.weight.shape)
            self._g = conv_geometry(x.shape, self.weight.shape, self.geometry)
        return self._g

    def forward(self, x):
        self._x, g = x, self._geometry(x)
        return _corr2d(x, self.weight, g) + self.bias.reshape(g.bias_shape)

    __call__ = forward

    def backward(self, grad_y):
        """Store weight and bias gradients of sum(grad_y * y); return the input gradient.
        Offset by offset, as forward: dK[:, :, a, b] contracts G with the window offset (a, b)
        read, and G times K[:, :, a, b] is added back onto that window of dX; group by group,
        each group's output channels with its own input channels."""
        g = self._geometry(self._x)
        G, x, k = grad_y.reshape(g.out4), _padded(self._x, g), self.weight.reshape(g.k4)
        dk = np.empty(g.k4, dtype=np.result_type(G, x))
        dx = np.zeros(x.shape, dtype=grad_y.dtype) if self.input_grad else None
        for inputs, outputs in g.group_slices:
            for a in range(g.k4[2]):
                for b in range(g.k4[3]):
                    window = g.tap_window(a, b)
                    dk[outputs, :, a, b] = np.einsum("nohw,nchw->oc", G[:, outputs], x[:, inputs][window])
                    if dx is not None:
                        dx[:, inputs][window] += np.einsum("nohw,oc->nchw", G[:, outputs], k[outputs, :, a, b])
        self.weight_grad = dk.reshape(self.weight.shape)
        self.bias_grad = G.sum(axis=(0, 2, 3))
        return None if dx is None else _unpadded(dx, g).reshape(self._x.shape)


def _layer(weight, bias, *, geometry, path):
    layer = (BuiltinConv2D if path == "builtin" else Conv2D)(weight.shape, geometry, dtype=weight.dtype)
    layer.weight[...] = weight
    layer.bias[...] = bias
    return layer


def layer_forward(X, weight, bias, *, geometry=DEFAULT, path="fast"):
    return _layer(weight, bias, geometry=geometry, path=path)(X)


def grad(X, K, bias, *, G, geometry=DEFAULT, path="fast"):
    layer = _layer(K, bias, geometry=geometry, path=path)
    layer(X)
    dX = layer.backward(G)
    return dX, layer.weight_grad, layer.bias_grad


def learn(X, Y, K_init, *, lr, steps, path, bias, learn_bias, geometry=DEFAULT):
    net = _layer(K_init, bias, geometry=geometry, path=path)
    net.input_grad = False  # X is data: only the kernel (and bias) learn
    losses = []
    for _ in range(steps):
        residual = net(X) - Y
        losses.append(float(np.sum(residual**2)))
        net.backward(2 * residual)
        net.weight -= lr * net.weight_grad
        if learn_bias:
            net.bias -= lr * net.bias_grad
    return losses, net.weight, net.bias


def bare_loop(X, Y, K, *, lr, steps):
    """The lesson's loop bare, as a call (the bench's yardstick). NumPy has no layer and no
    autograd: the windows, their product and its gradient."""

    def run():
        k, losses = K.copy(), []
        for _ in range(steps):  # each step reads X again, as a layer's forward pass does
            windows = sliding_window_view(X, K.shape)
            residual = np.einsum("ijab,ab->ij", windows, k) - Y
            losses.append(float(np.sum(residual**2)))
            k -= lr * np.einsum("ijab,ij->ab", windows, 2 * residual)
        return losses
    return run
