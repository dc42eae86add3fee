"""NumPy, for check's child (see `backends.tensors`)."""

import numpy as np


def versions():
    return {"framework": f"numpy {np.__version__}"}


def asarray(array):
    return np.array(array)


def to_numpy(array):
    return np.asarray(array)
