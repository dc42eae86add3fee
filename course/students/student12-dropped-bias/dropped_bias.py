"""Planted: the lesson's Conv2D in NumPy whose forward pass forgets its bias. corr2d is right
(and passes); Conv2D is caught on the layer cases, with the hint "the bias is dropped"."""
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
        self.weight = np.random.uniform(size=kernel_size)
        self.bias = np.zeros(1)

    def __call__(self, x):
        return corr2d(x, self.weight)
