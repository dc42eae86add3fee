"""Honest: the lesson's corr2d, corr2d_multi_in and corr2d_multi_in_out (no groups, padding,
stride or dilation parameters). Every applicable case passes: the grouped cases are not
given to a corr2d_multi_in_out that has no groups parameter (they are listed as not
applicable), and no grouped case stops the run."""
import numpy as np


def corr2d(X, K):
    h, w = K.shape
    Y = np.zeros((X.shape[0] - h + 1, X.shape[1] - w + 1))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = (X[i:i + h, j:j + w] * K).sum()
    return Y


def corr2d_multi_in(X, K):
    return sum(corr2d(x, k) for x, k in zip(X, K))


def corr2d_multi_in_out(X, K):
    return np.stack([corr2d_multi_in(X, k) for k in K], 0)
