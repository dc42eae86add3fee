"""Hostile: a syntax error (a missing colon). Expected verdict: SyntaxError at line 5, and
nothing to check, since the file never ran."""
import numpy as np

def corr2d(X, K)
    h, w = K.shape
    return np.zeros((X.shape[0] - h + 1, X.shape[1] - w + 1))
