"""PyTorch backend: the lesson's PyTorch code, with autograd doing the backward pass.

Layouts: torch convolutions take input as NCHW and weights as OIHW (out, in, h, w).
"""

import numpy as np
import torch
from torch import nn

from spec.shapes import corr2d_output_shape

name = "torch"


def versions():
    return {"framework": f"torch {torch.__version__}"}


def asarray(array):
    return torch.from_numpy(np.array(array))


def to_numpy(tensor):
    return tensor.detach().cpu().numpy()


def corr2d_loop(X, K):
    """The lesson's corr2d: one window at a time."""
    h, w = K.shape
    Y = torch.zeros(corr2d_output_shape(X.shape, K.shape), dtype=X.dtype)
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = (X[i : i + h, j : j + w] * K).sum()
    return Y


def corr2d(X, K):
    """Sum over the kernel's offsets of K[a, b] times the shifted input; autograd-friendly."""
    oh, ow = corr2d_output_shape(X.shape, K.shape)
    Y = torch.zeros((oh, ow), dtype=X.dtype)
    for a in range(K.shape[0]):
        for b in range(K.shape[1]):
            Y = Y + K[a, b] * X[a : a + oh, b : b + ow]
    return Y


def conv2d(X, K):
    return corr2d(X, torch.flip(K, dims=(0, 1)))


class Conv2D(nn.Module):
    """The lesson's Conv2D module (its forward uses the vectorized corr2d)."""

    def __init__(self, kernel_size):
        super().__init__()
        self.weight = nn.Parameter(torch.rand(kernel_size))
        self.bias = nn.Parameter(torch.zeros(1))

    def forward(self, x):
        return corr2d(x, self.weight) + self.bias


def layer_forward(X, weight, bias):
    layer = Conv2D(tuple(weight.shape)).to(X.dtype)
    with torch.no_grad():
        layer.weight.copy_(weight)
        layer.bias.fill_(bias)
    return layer(X)


def _builtin_layer(K_init):
    """nn.Conv2d with one channel in and out, its OIHW weight set to K_init."""
    conv = nn.Conv2d(1, 1, kernel_size=tuple(K_init.shape), bias=False).to(K_init.dtype)
    with torch.no_grad():
        conv.weight.copy_(K_init.reshape(1, 1, *K_init.shape))
    return conv


def learn(X, Y, K_init, lr, steps, layer):
    if layer == "builtin":
        conv = _builtin_layer(K_init)
        # A single image with a single channel: (H, W) -> NCHW (1, 1, H, W).
        X, Y = X.reshape(1, 1, *X.shape), Y.reshape(1, 1, *Y.shape)
    else:
        conv = Conv2D(tuple(K_init.shape)).to(K_init.dtype)
        with torch.no_grad():
            conv.weight.copy_(K_init)
    losses = []
    for _ in range(steps):
        Y_hat = conv(X)
        l = (Y_hat - Y) ** 2
        conv.zero_grad()
        l.sum().backward()
        losses.append(l.sum().item())
        with torch.no_grad():
            conv.weight -= lr * conv.weight.grad  # the lesson learns no bias
    return losses, conv.weight.detach().reshape(K_init.shape)
