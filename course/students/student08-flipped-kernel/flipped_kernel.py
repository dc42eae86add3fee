"""Planted: corr2d with the kernel flipped both ways, a true convolution under the lesson's
name. Caught on every case whose kernel is not symmetric, with the hint "the kernel is
flipped"."""
import numpy as np


def corr2d(X, K):
    K = K[::-1, ::-1]
    h, w = K.shape
    Y = np.zeros((X.shape[0] - h + 1, X.shape[1] - w + 1))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = (X[i:i + h, j:j + w] * K).sum()
    return Y
