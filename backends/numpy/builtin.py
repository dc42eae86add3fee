"""The "built-in" path, and the padding every path shares. NumPy has no conv layer: its
stand-in is im2col and one matrix product per group, the way frameworks without a direct
convolution kernel compute it, forward and backward (col2im), made and called as the
lesson's Conv2D is. NumPy has no autograd either: the padding's gradient is written here too."""

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from convsuite.spec.shapes import DEFAULT, conv_geometry, padded_indices

# The padding modes as np.pad calls them.
_PAD_MODES = {"zeros": "constant", "reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def _padded(X, g):
    if not any(map(any, g.padding)):
        return X.reshape(g.x4)  # a view: np.pad would copy even with nothing to add
    return np.pad(X.reshape(g.x4), ((0, 0), (0, 0)) + g.padding, mode=_PAD_MODES[g.padding_mode])


def _unpadded(dx, g):
    """The input's gradient from the padded input's: the border cropped off (zeros), or added
    onto the elements it copies (the other modes), axis by axis."""
    if g.padding_mode == "zeros":
        (top, bottom), (left, right) = g.padding
        return dx[:, :, top : dx.shape[2] - bottom, left : dx.shape[3] - right]
    for axis, n, (before, after) in zip((2, 3), g.x4[2:], g.padding):
        gathered = np.zeros(dx.shape[:axis] + (n,) + dx.shape[axis + 1 :], dtype=dx.dtype)
        np.add.at(gathered, (slice(None),) * axis + (padded_indices(n, (before, after), g.padding_mode),), dx)
        dx = gathered
    return dx


def _im2col(X, g):
    """The (G, N*H'*W', (C/G)*kh*kw) matrices of windows, one per group, from a strided view
    copied once."""
    (sh, sw), (dh, dw), (c, kh, kw) = g.stride, g.dilation, (g.x4[1],) + g.k4[2:]
    span = ((kh - 1) * dh + 1, (kw - 1) * dw + 1)
    view = sliding_window_view(_padded(X, g), span, axis=(2, 3))[:, :, ::sh, ::sw, ::dh, ::dw]
    rows = view.transpose(0, 2, 3, 1, 4, 5).reshape(-1, c * kh * kw)
    return rows.reshape(rows.shape[0], g.groups, -1).transpose(1, 0, 2)


def _grouped_kernel(K, g):
    """The OIHW kernel as (G, C_out/G, (C/G)*kh*kw): each group's output channels' rows."""
    return K.reshape(g.groups, g.k4[0] // g.groups, -1)


def _nchw(rows, g):
    """(G, N*H'*W', C_out/G) product rows back to (N, C_out, H', W')."""
    n, c_out, oh, ow = g.out4
    return rows.transpose(1, 0, 2).reshape(n, oh, ow, c_out).transpose(0, 3, 1, 2)


def corr2d_builtin(X, K, geometry=DEFAULT):
    g = conv_geometry(X.shape, K.shape, geometry)
    rows = _im2col(X, g) @ _grouped_kernel(K, g).transpose(0, 2, 1)
    return _nchw(rows, g).reshape(g.out_shape)


class BuiltinConv2D:
    """The layer computed as im2col and matrix products (one per group), forward and
    backward. Made, called and differentiated as the lesson's Conv2D (layer.py), not derived
    from it: that layer's module imports this one's padding."""

    def __init__(self, kernel_size, geometry=DEFAULT, *, dtype="float32", seed=None):
        rng = np.random.default_rng(seed)
        self.weight = rng.uniform(size=kernel_size).astype(dtype)
        self.bias = np.zeros(kernel_size[0] if len(kernel_size) == 4 else 1, dtype=dtype)
        self.geometry = geometry
        self.input_grad = True  # whether backward() returns dX, as the lesson's Conv2D

    def _geometry(self, x):
        if getattr(self, "_shapes", None) != (x.shape, self.weight.shape):  # computed once per shape
            self._shapes = (x.shape, self.weight.shape)
            self._g = conv_geometry(x.shape, self.weight.shape, self.geometry)
        return self._g

    def forward(self, x):
        g = self._geometry(x)
        self._x, self._columns = x, _im2col(x, g)  # the columns kept for the backward pass, as frameworks keep them
        y = _nchw(self._columns @ _grouped_kernel(self.weight, g).transpose(0, 2, 1), g).reshape(g.out_shape)
        return y + self.bias.reshape(g.bias_shape)

    __call__ = forward

    def backward(self, grad_y):
        """Store weight and bias gradients of sum(grad_y * y); return the input gradient
        (None when input_grad is off)."""
        g = self._geometry(self._x)
        n, c_out, oh, ow = g.out4
        G4 = grad_y.reshape(g.out4)
        G = G4.transpose(0, 2, 3, 1).reshape(-1, g.groups, c_out // g.groups).transpose(1, 0, 2)
        kernel = _grouped_kernel(self.weight, g)
        self.weight_grad = (G.transpose(0, 2, 1) @ self._columns).reshape(self.weight.shape)
        self.bias_grad = G4.sum(axis=(0, 2, 3))
        if not self.input_grad:
            return None
        columns = (G @ kernel).transpose(1, 0, 2).reshape(n, oh, ow, g.x4[1], *g.k4[2:]).transpose(0, 3, 1, 2, 4, 5)
        dx = np.zeros(g.x4[:2] + _padded(self._x, g).shape[2:], dtype=grad_y.dtype)
        for a in range(g.k4[2]):  # col2im: each column back to its window
            for b in range(g.k4[3]):
                dx[g.tap_window(a, b)] += columns[..., a, b]
        return _unpadded(dx, g).reshape(self._x.shape)
