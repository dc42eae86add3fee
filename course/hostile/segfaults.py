"""Hostile: the lesson's corr2d, but a 1x1 kernel makes it read address 0 through ctypes (a
segfault). Expected verdict: the 1x1-kernel case crashes (SIGSEGV, at the line below), every
other case runs and passes."""
import ctypes

import numpy as np


def corr2d(X, K):
    h, w = K.shape
    if (h, w) == (1, 1):
        ctypes.string_at(0)  # dereferences a null pointer
    Y = np.zeros((X.shape[0] - h + 1, X.shape[1] - w + 1))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = (X[i:i + h, j:j + w] * K).sum()
    return Y
