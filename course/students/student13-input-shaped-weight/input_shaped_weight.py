"""Planted: a Conv2D that creates its weight from its first input, the way a layer built
from the input's shape does (d2l's TensorFlow Conv2D passes build() the input shape), so the
weight takes the input's shape instead of the kernel size. Caught on the layer cases, with
the hint "the weight took the input's shape"."""
import numpy as np


def corr2d(X, K):
    h, w = K.shape
    Y = np.zeros((X.shape[0] - h + 1, X.shape[1] - w + 1))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = (X[i:i + h, j:j + w] * K).sum()
    return Y


class Conv2D:
    def __init__(self, kernel_size):
        self.kernel_size = kernel_size
        self.weight = None  # made at the first call
        self.bias = np.zeros(1)

    def __call__(self, x):
        if self.weight is None:
            self.weight = np.random.uniform(size=x.shape)
        return corr2d(x, self.weight) + self.bias
