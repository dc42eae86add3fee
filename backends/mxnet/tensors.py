"""MXNet Gluon, for check's child: the backend's adapter (`backends.contract.Declaration.adapter`)."""

import numpy as np

if "bool" not in vars(np):  # MXNet 1.9.1 needs the alias NumPy 1.24 removed (as the backend)
    np.bool = bool

import mxnet as mx  # noqa: E402
from mxnet import nd  # noqa: E402


def versions():
    return {"framework": f"mxnet {mx.__version__}"}


def asarray(array):
    array = np.array(array)
    return nd.array(array, dtype=array.dtype)


def to_numpy(tensor):
    return tensor.asnumpy()


def wait(tensor):
    """The tensor once computed: MXNet's engine runs ahead of Python (for timing it)."""
    tensor.wait_to_read()
    return tensor


def seed(value):
    """MXNet's global generator (a learner's initializer, `nd.random`): seeded, a tab's random
    value repeats, and `tabs` can tell it from a deterministic one."""
    mx.random.seed(value)


def foreign_input(tensor):
    """After npx.set_np() (the book's MXNet chapters) arrays are mxnet.numpy's."""
    return tensor.as_np_ndarray() if mx.util.is_np_array() else tensor


def set_parameter(holder, tensor):
    if not hasattr(holder, "set_data"):  # a Gluon Parameter; a plain NDArray is set in place
        return False
    holder.set_data(tensor)
    return True


def parameters_of(layer):
    return list(layer.collect_params().values()) if hasattr(layer, "collect_params") else None


def bring_to_life(layer, X):
    if hasattr(layer, "collect_params"):  # a Block's parameters exist once initialized
        layer.initialize()
    return None
