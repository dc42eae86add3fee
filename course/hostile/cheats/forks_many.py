"""Starts processes without end (a fork bomb held in check by the process limit)."""
import subprocess

children = []
for _ in range(500):
    children.append(subprocess.Popen(["sleep", "60"]))


def corr2d(X, K):
    return X[:1, :1] * 0
