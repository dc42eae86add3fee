import numpy as np


def learn(X, Y, K_init, lr, steps):
    K, losses = np.array(K_init, dtype=float), []
    for _ in range(steps):
        R = corr2d(X, K) - Y
        losses.append(float((R ** 2).sum()))
        K = K - lr * 2 * corr2d(X, R)
    return losses, K
