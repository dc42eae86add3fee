"""The float64 reference: the definitions every backend is measured against.

Written for obviousness, not speed. With the input zero-padded, X and K in their 4-D forms
(NCHW and OIHW, see `spec.shapes`), stride (sh, sw) and dilation (dh, dw):

    Y[n, o, i, j] = sum over c, a, b of X[n, c, i*sh + a*dh, j*sw + b*dw] * K[o, c, a, b]

computed as a sum, over the kernel's offsets (a, b), of K[:, :, a, b] times the input
window that offset sees. The module has the same function names as a backend, so the
conformance runner evaluates cases with it unchanged.
"""

import numpy as np

from spec import shapes

name = "reference"


def versions():
    return {"framework": f"numpy {np.__version__} (float64 reference)"}


def asarray(array):
    return np.asarray(array, dtype=np.float64)


def to_numpy(array):
    return np.asarray(array)


def _padded(X, g):
    return np.pad(np.reshape(X, g.x4), ((0, 0), (0, 0)) + g.padding)


def corr2d(X, K, padding=0, stride=1, dilation=1):
    g = shapes.conv_geometry(np.shape(X), np.shape(K), padding, stride, dilation)
    x, k = _padded(X, g), np.reshape(K, g.k4)
    Y = np.zeros(g.out4)
    for a in range(g.k4[2]):
        for b in range(g.k4[3]):
            Y += np.einsum("nchw,oc->nohw", x[g.tap_window(a, b)], k[:, :, a, b])
    return Y.reshape(g.out_shape)


# `form` picks a backend's implementation; the reference has one, so it ignores it.


def conv2d(X, K, padding=0, stride=1, dilation=1, form=None):
    """True convolution: the cross-correlation with the kernel flipped both ways."""
    return corr2d(X, np.flip(K, axis=(-2, -1)), padding, stride, dilation)


def layer_forward(X, weight, bias, padding=0, stride=1, dilation=1, form=None):
    """The Conv2D layer's forward pass: corr2d + one bias per output channel."""
    g = shapes.conv_geometry(np.shape(X), np.shape(weight), padding, stride, dilation)
    return corr2d(X, weight, padding, stride, dilation) + np.reshape(bias, g.bias_shape)


def grad(X, K, bias, G, padding=0, stride=1, dilation=1, form=None):
    """Gradients of sum(G * layer_forward(X, K, bias)) with respect to X, K and the bias."""
    g = shapes.conv_geometry(np.shape(X), np.shape(K), padding, stride, dilation)
    x, k, G4 = _padded(X, g), np.reshape(K, g.k4), np.reshape(G, g.out4)
    dx, dk = np.zeros(x.shape), np.zeros(g.k4)
    for a in range(g.k4[2]):
        for b in range(g.k4[3]):
            window = g.tap_window(a, b)
            dk[:, :, a, b] = np.einsum("nohw,nchw->oc", G4, x[window])
            dx[window] += np.einsum("nohw,oc->nchw", G4, k[:, :, a, b])
    (top, bottom), (left, right) = g.padding
    dX = dx[:, :, top : dx.shape[2] - bottom, left : dx.shape[3] - right]
    return dX.reshape(np.shape(X)), dk.reshape(np.shape(K)), G4.sum(axis=(0, 2, 3))


def learn(X, Y, K_init, lr, steps, form, bias, learn_bias, padding=0, stride=1, dilation=1):
    """Gradient descent on sum((layer_forward(X, K, bias) - Y)**2); `form` does not matter.

    losses[i] is the loss at step i, before that step's update K -= lr * dK (and, with
    learn_bias, bias -= lr * db). Returns (losses, K, bias).
    """
    geometry = dict(padding=padding, stride=stride, dilation=dilation)
    K, bias = np.array(K_init, dtype=np.float64), np.array(bias, dtype=np.float64)
    losses = []
    for _ in range(steps):
        R = layer_forward(X, K, bias, **geometry) - Y
        losses.append(float(np.sum(R**2)))
        _, dK, db = grad(X, K, bias, 2 * R, **geometry)
        K = K - lr * dK
        if learn_bias:
            bias = bias - lr * db
    return losses, K, bias
