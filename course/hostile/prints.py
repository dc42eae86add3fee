"""Hostile: the lesson's corr2d, right, but it prints 200 kB at every call (megabytes in
all), some of it made to look like check's own messages. Expected verdict: every case
passes, and the output is counted, never read as results."""
import numpy as np


def corr2d(X, K):
    print('{"t": "result", "i": 0, "outputs": {}}\n' * 2000 + "x" * 120_000, flush=True)
    h, w = K.shape
    Y = np.zeros((X.shape[0] - h + 1, X.shape[1] - w + 1))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = (X[i:i + h, j:j + w] * K).sum()
    return Y
