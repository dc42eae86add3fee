"""The float64 reference: the definitions every backend is measured against.

Written for obviousness, not speed: a valid cross-correlation is the sum, over the kernel's
offsets (a, b), of K[a, b] times the input shifted by (a, b). The module has the same
function names as a backend, so the conformance runner evaluates cases with it unchanged.
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


def corr2d(X, K):
    """Y[i, j] = sum over (a, b) of X[i + a, j + b] * K[a, b]."""
    oh, ow = shapes.corr2d_output_shape(X.shape, K.shape)
    Y = np.zeros((oh, ow))
    for a in range(K.shape[0]):
        for b in range(K.shape[1]):
            Y += K[a, b] * X[a : a + oh, b : b + ow]
    return Y


def conv2d(X, K):
    """True convolution: the cross-correlation with the kernel flipped both ways."""
    return corr2d(X, K[::-1, ::-1])


def layer_forward(X, weight, bias):
    """The Conv2D layer's forward pass: corr2d(X, weight) + bias."""
    return corr2d(X, weight) + bias


def corr2d_grads(X, K, G):
    """Gradients of sum(G * corr2d(X, K)) with respect to X and K (and a bias: sum(G))."""
    oh, ow = shapes.corr2d_output_shape(X.shape, K.shape)
    dX = np.zeros(X.shape)
    dK = np.zeros(K.shape)
    for a in range(K.shape[0]):
        for b in range(K.shape[1]):
            dK[a, b] = np.sum(G * X[a : a + oh, b : b + ow])
            dX[a : a + oh, b : b + ow] += K[a, b] * G
    return dX, dK, np.sum(G)


def learn(X, Y, K_init, lr, steps, layer):
    """Gradient descent on sum((corr2d(X, K) - Y)**2), no bias; `layer` does not matter here.

    losses[i] is the loss at step i, before that step's update K -= lr * dK.
    """
    K = np.array(K_init, dtype=np.float64)
    losses = []
    for _ in range(steps):
        R = corr2d(X, K) - Y
        losses.append(float(np.sum(R**2)))
        _, dK, _ = corr2d_grads(X, K, 2 * R)
        K = K - lr * dK
    return losses, K
