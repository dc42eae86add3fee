"""Hostile: the lesson's corr2d, but on a tall input (more rows than columns) it keeps
allocating memory and never stops. Expected verdict: that case is killed at the memory
limit (--memory), every other case runs and passes."""
import numpy as np


def corr2d(X, K):
    if X.shape[0] > X.shape[1]:
        hoard = []
        while True:
            hoard.append(np.ones(256 << 20, dtype=np.uint8))  # 256 MiB more, touched, every time
    h, w = K.shape
    Y = np.zeros((X.shape[0] - h + 1, X.shape[1] - w + 1))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = (X[i:i + h, j:j + w] * K).sum()
    return Y
