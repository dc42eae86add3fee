"""PaddlePaddle, for check's child: the backend's adapter (`backends.contract.Declaration.adapter`)."""

import warnings

import numpy as np

with warnings.catch_warnings():  # its extension helper warns that no ccache is on the PATH
    warnings.filterwarnings("ignore", message="No ccache found", category=UserWarning)
    import paddle


def versions():
    return {"framework": f"paddle {paddle.__version__}"}


def asarray(array):
    return paddle.to_tensor(np.array(array))


def to_numpy(tensor):
    return tensor.detach().numpy()


def set_parameter(holder, tensor):
    if not hasattr(holder, "set_value"):
        return False
    holder.set_value(tensor)
    return True


def parameters_of(layer):
    return list(layer.parameters()) if isinstance(layer, paddle.nn.Layer) else None


def seed(value):
    paddle.seed(value)
