"""JAX / Flax, for check's child (see `backends.tensors`)."""

import flax
import jax
import numpy as np

jax.config.update("jax_enable_x64", True)  # as the backend: float64 cases stay float64


def versions():
    return {"framework": f"jax {jax.__version__}, flax {flax.__version__}"}


def asarray(array):
    return jax.device_put(np.array(array))


def to_numpy(tensor):
    return np.asarray(tensor)
