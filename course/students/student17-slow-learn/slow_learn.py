"""Honest: the lesson's learning loop written with loops alone (the forward pass and the
kernel's gradient, element by element). Slow, and correct: the suite's large learning cases
(arrays of 16,770 elements) are left out as large, not reported as hung."""
import numpy as np


def corr2d(X, K):
    h, w = K.shape
    Y = np.zeros((X.shape[0] - h + 1, X.shape[1] - w + 1))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = (X[i:i + h, j:j + w] * K).sum()
    return Y


def learn(X, Y, K_init, lr, steps):
    K, losses = np.array(K_init, dtype=np.float64), []
    h, w = K.shape
    for _ in range(steps):
        R = corr2d(X, K) - Y
        losses.append(float((R ** 2).sum()))
        dK = np.zeros_like(K)
        for i in range(R.shape[0]):
            for j in range(R.shape[1]):
                dK += 2 * R[i, j] * X[i:i + h, j:j + w]
        K = K - lr * dK
    return losses, K
