"""Planted: corr2d whose output size forgets the + 1 (range(X.shape[0] - h)): the last row
and column of windows are lost. Caught with the hint "an off-by-one window"."""
import numpy as np


def corr2d(X, K):
    h, w = K.shape
    Y = np.zeros((X.shape[0] - h, X.shape[1] - w))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = (X[i:i + h, j:j + w] * K).sum()
    return Y
