"""PyTorch, for check's child: the backend's adapter (`backends.contract.Declaration.adapter`)."""

import numpy as np
import torch

torch.use_deterministic_algorithms(True)  # as the backend: bit-identical reruns


def versions():
    return {"framework": f"torch {torch.__version__}"}


def asarray(array):
    return torch.from_numpy(np.array(array))


def to_numpy(tensor):
    return tensor.detach().cpu().numpy()


def set_parameter(holder, tensor):
    if not isinstance(holder, torch.Tensor):
        return False
    holder.data.copy_(tensor)  # in place, outside autograd: a Parameter stays the same Parameter
    return True


def parameters_of(layer):
    return list(layer.parameters()) if isinstance(layer, torch.nn.Module) else None


def seed(value):
    torch.manual_seed(value)
