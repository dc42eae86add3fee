"""Hostile: the lesson's corr2d, but it waits for a finite input that never comes when its
input holds a NaN (a loop that hangs). Expected verdict: the NaN cases hang (killed after
--timeout), every other case runs and passes."""
import numpy as np


def corr2d(X, K):
    while np.isnan(X).any():  # "wait until the data is clean": it never is
        pass
    h, w = K.shape
    Y = np.zeros((X.shape[0] - h + 1, X.shape[1] - w + 1))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = (X[i:i + h, j:j + w] * K).sum()
    return Y
