"""The float64 reference: the definitions every backend is measured against.

Written for obviousness, not speed. With the input padded (zeros, or the input reflected,
replicated or wrapped around: `spec.shapes`), X and K in their 4-D forms (NCHW and OIHW),
stride (sh, sw), dilation (dh, dw) and G groups of C_in / G input channels each:

    Y[n, o, i, j] = sum over c, a, b of X[n, c0(o) + c, i*sh + a*dh, j*sw + b*dw] * K[o, c, a, b]

where c0(o) is the first input channel of output channel o's group (0 for every o when
G = 1), computed as a sum, group by group, over the kernel's offsets (a, b), of
K[:, :, a, b] times the input window that offset sees. The padding is linear in X: its
gradient adds each padded position's gradient onto the input element it copies (the
reflected, replicated and wrapped ones too). The module has the same function names as a
backend, so the conformance runner evaluates cases with it unchanged.
"""

from typing import Any, Literal

import numpy as np
from numpy.typing import NDArray

from convsuite.spec import shapes

Array = NDArray[np.float64]
Input = NDArray[Any]  # float32 or float64: a case's arrays, computed in float64

name = "reference"

# The padding modes as np.pad calls them.
NUMPY_MODES: dict[str, Literal["constant", "reflect", "edge", "wrap"]] = {"zeros": "constant", "reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def versions() -> dict[str, str]:
    return {"framework": f"numpy {np.__version__} (float64 reference)"}


def asarray(array: Input) -> Array:
    return np.asarray(array, dtype=np.float64)


def to_numpy(array: Input) -> NDArray[Any]:
    return np.asarray(array)


def _resolved(X: Input, K: Input, geometry: shapes.Geometry) -> shapes.ResolvedGeometry:
    return shapes.conv_geometry(np.shape(X), np.shape(K), geometry)


def _padded(X: Input, g: shapes.ResolvedGeometry) -> Array:
    return np.pad(np.reshape(X, g.x4), ((0, 0), (0, 0)) + g.padding, mode=NUMPY_MODES[g.padding_mode])


def _sources(n: int, padding: tuple[int, int], mode: str) -> NDArray[np.int_]:
    """The input index each position of a padded axis copies (-1: a zero), found by padding
    the indices themselves as `_padded` pads the input."""
    if mode == "zeros":
        return np.pad(np.arange(n), padding, constant_values=-1)
    return np.pad(np.arange(n), padding, mode=NUMPY_MODES[mode])


def _unpadded(dx: Array, g: shapes.ResolvedGeometry) -> Array:
    """The gradient with respect to X from the one with respect to the padded input: every
    padded position's gradient added onto the input element it copies."""
    for axis, n, (before, after) in zip((2, 3), g.x4[2:], g.padding):
        sources, padded = _sources(n, (before, after), g.padding_mode), np.moveaxis(dx, axis, 0)
        gathered = np.zeros((n,) + padded.shape[1:])
        np.add.at(gathered, sources[sources >= 0], padded[sources >= 0])
        dx = np.moveaxis(gathered, 0, axis)
    return dx


def corr2d(X: Input, K: Input, geometry: shapes.Geometry = shapes.DEFAULT) -> Array:
    g = _resolved(X, K, geometry)
    x, k = _padded(X, g), np.reshape(K, g.k4)
    Y = np.zeros(g.out4)
    for inputs, outputs in g.group_slices:
        for a in range(g.k4[2]):
            for b in range(g.k4[3]):
                Y[:, outputs] += np.einsum("nchw,oc->nohw", x[:, inputs][g.tap_window(a, b)], k[outputs, :, a, b])
    return Y.reshape(g.out_shape)


# `path` picks a backend's implementation; the reference has one, so it ignores it.


def conv2d(X: Input, K: Input, geometry: shapes.Geometry = shapes.DEFAULT, *, path: str | None = None) -> Array:
    """True convolution: the cross-correlation with the kernel flipped both ways."""
    return corr2d(X, np.flip(K, axis=(-2, -1)), geometry)


def layer_forward(X: Input, weight: Input, bias: Input, *, geometry: shapes.Geometry = shapes.DEFAULT,
                  path: str | None = None) -> Array:
    """The Conv2D layer's forward pass: corr2d + one bias per output channel."""
    g = _resolved(X, weight, geometry)
    Y: Array = corr2d(X, weight, geometry) + np.reshape(bias, g.bias_shape)
    return Y


def grad(X: Input, K: Input, bias: Input, *, G: Input, geometry: shapes.Geometry = shapes.DEFAULT,
         path: str | None = None) -> tuple[Array, Array, Array]:
    """Gradients of sum(G * layer_forward(X, K, bias)) with respect to X, K and the bias."""
    g = _resolved(X, K, geometry)
    x, k, G4 = _padded(X, g), np.reshape(K, g.k4), np.reshape(G, g.out4)
    dx, dk = np.zeros(x.shape), np.zeros(g.k4)
    for inputs, outputs in g.group_slices:
        for a in range(g.k4[2]):
            for b in range(g.k4[3]):
                window = g.tap_window(a, b)
                dk[outputs, :, a, b] = np.einsum("nohw,nchw->oc", G4[:, outputs], x[:, inputs][window])
                dx[:, inputs][window] += np.einsum("nohw,oc->nchw", G4[:, outputs], k[outputs, :, a, b])
    return _unpadded(dx, g).reshape(np.shape(X)), dk.reshape(np.shape(K)), G4.sum(axis=(0, 2, 3))


def learn(X: Input, Y: Input, K_init: Input, *, lr: float, steps: int, path: str, bias: Input,
          learn_bias: bool, geometry: shapes.Geometry = shapes.DEFAULT) -> tuple[list[float], Array, Array]:
    """Gradient descent on sum((layer_forward(X, K, bias) - Y)**2); `path` does not matter.

    losses[i] is the loss at step i, before that step's update K -= lr * dK (and, with
    learn_bias, bias -= lr * db). Returns (losses, K, bias).
    """
    K, bias = np.array(K_init, dtype=np.float64), np.array(bias, dtype=np.float64)
    losses = []
    for _ in range(steps):
        R = layer_forward(X, K, bias, geometry=geometry) - Y
        losses.append(float(np.sum(R**2)))
        _, dK, db = grad(X, K, bias, G=2 * R, geometry=geometry)
        K = K - lr * dK
        if learn_bias:
            bias = bias - lr * db
    return losses, K, bias
