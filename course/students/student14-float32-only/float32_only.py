"""Honest in float32 only: the book's TensorFlow corr2d fills a float32 variable
(tf.Variable(tf.zeros(...))), and assigning a float64 window sum to it raises a dtype error.
This is its NumPy stand-in: float32 cases pass, float64 cases raise the same kind of error,
and check hints that the port computes in float32 only."""
import numpy as np


def corr2d(X, K):
    if X.dtype != np.float32:
        raise TypeError(f"Tensor conversion requested dtype float32 for Tensor with dtype {X.dtype}")
    h, w = K.shape
    Y = np.zeros((X.shape[0] - h + 1, X.shape[1] - w + 1), dtype=np.float32)
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = (X[i:i + h, j:j + w] * K).sum()
    return Y
