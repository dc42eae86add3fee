"""NumPy, for check's child: the backend's adapter (`backends.contract.Declaration.adapter`)."""

import numpy as np


def versions():
    return {"framework": f"numpy {np.__version__}"}


def asarray(array):
    return np.array(array)


def to_numpy(array):
    return np.asarray(array)
