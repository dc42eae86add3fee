"""JAX / Flax: the backend's adapter (arrays in and out), which check's sandboxed child imports on
its own (see `backends.contract`)."""

import dataclasses

import flax
import jax
import numpy as np

jax.config.update("jax_enable_x64", True)  # as the backend: float64 cases stay float64


def versions():
    return {"framework": f"jax {jax.__version__}, flax {flax.__version__}"}


def asarray(array):
    # device_put, not jnp.asarray: that lifts a NumPy array through a jitted identity, one
    # program per shape and dtype (180 of the 420 programs of the lesson-sized cases' fast path).
    return jax.device_put(np.array(array))


def to_numpy(tensor):
    return np.asarray(tensor)


def bring_to_life(layer, X):
    """A flax module holds no parameters: its variables, which `apply` takes."""
    if dataclasses.is_dataclass(layer) and hasattr(layer, "init") and hasattr(layer, "apply"):
        return layer.init(np.zeros(2, dtype=np.uint32), X)  # a raw PRNG key: two uint32 words
    return None
