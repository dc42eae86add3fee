"""Honest: corr2d_multi_in_out with a groups parameter (the input and output channels split
into `groups` groups, each output channel seeing its own group's inputs). It takes the
grouped cases, and passes them."""
import numpy as np


def corr2d(X, K):
    h, w = K.shape
    Y = np.zeros((X.shape[0] - h + 1, X.shape[1] - w + 1))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = (X[i:i + h, j:j + w] * K).sum()
    return Y


def corr2d_multi_in_out(X, K, groups=1):
    per_in, per_out = X.shape[0] // groups, K.shape[0] // groups
    return np.stack([sum(corr2d(x, k) for x, k in zip(X[o // per_out * per_in:][:per_in], K[o]))
                     for o in range(K.shape[0])], 0)
