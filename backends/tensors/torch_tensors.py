"""PyTorch, for check's child (see `backends.tensors`)."""

import numpy as np
import torch

torch.use_deterministic_algorithms(True)  # as the backend: bit-identical reruns


def versions():
    return {"framework": f"torch {torch.__version__}"}


def asarray(array):
    return torch.from_numpy(np.array(array))


def to_numpy(tensor):
    return tensor.detach().cpu().numpy()


def seed(value):
    torch.manual_seed(value)
