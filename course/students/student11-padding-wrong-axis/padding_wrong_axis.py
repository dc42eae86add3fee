"""Planted: corr2d with padding whose np.pad takes the axes the other way round (seed 004's
((w, w), (h, h)), without its assert). Caught on the cases that pad one axis more than the
other, with the hint "the padding is applied to the wrong axis"."""
import numpy as np


def corr2d(X, K, padding=0):
    ph, pw = (padding, padding) if isinstance(padding, int) else padding
    X = np.pad(X, ((pw, pw), (ph, ph)))
    h, w = K.shape
    Y = np.zeros((X.shape[0] - h + 1, X.shape[1] - w + 1))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = (X[i:i + h, j:j + w] * K).sum()
    return Y
