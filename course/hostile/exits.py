"""Hostile: the lesson's corr2d, but it ends the process two ways: sys.exit(3) when the
kernel is as large as the input, os._exit(7) when the input is a single row. Expected
verdict: the first raises SystemExit (a verdict for its case), the second crashes its child
(exit status 7), every other case runs and passes."""
import os
import sys

import numpy as np


def corr2d(X, K):
    h, w = K.shape
    if K.shape == X.shape:
        sys.exit(3)
    if X.shape[0] == 1:
        os._exit(7)
    Y = np.zeros((X.shape[0] - h + 1, X.shape[1] - w + 1))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = (X[i:i + h, j:j + w] * K).sum()
    return Y
