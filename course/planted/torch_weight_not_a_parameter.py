"""Planted (PyTorch): the lesson's Conv2D whose weight is a plain tensor, not an
nn.Parameter: the forward pass is right, but the module does not list the weight among its
parameters, so no optimizer trains it. Caught with the hint "not a parameter"."""
import torch
from torch import nn


def corr2d(X, K):
    h, w = K.shape
    Y = torch.zeros((X.shape[0] - h + 1, X.shape[1] - w + 1))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = (X[i:i + h, j:j + w] * K).sum()
    return Y


class Conv2D(nn.Module):
    def __init__(self, kernel_size):
        super().__init__()
        self.weight = torch.rand(kernel_size)
        self.bias = nn.Parameter(torch.zeros(1))

    def forward(self, x):
        return corr2d(x, self.weight) + self.bias
