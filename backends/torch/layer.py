"""The lesson's Conv2D module, its gradients and its learning loop, on the fast corr2d or on
torch's own nn.Conv2d."""

import torch
from torch import nn

from convsuite.spec.shapes import DEFAULT, conv_geometry

from .builtin import BuiltinConv2D
from .fast import corr2d


class Conv2D(nn.Module):
    """The lesson's Conv2D module, grown to channels, padding, stride, dilation, groups and
    padding modes (one spec.shapes.Geometry)."""

    def __init__(self, kernel_size, geometry=DEFAULT):
        super().__init__()
        self.weight = nn.Parameter(torch.rand(kernel_size))
        self.bias = nn.Parameter(torch.zeros(kernel_size[0] if len(kernel_size) == 4 else 1))
        self.geometry = geometry

    def forward(self, x):
        g = conv_geometry(x.shape, self.weight.shape, self.geometry)
        return corr2d(x, self.weight, self.geometry) + self.bias.reshape(g.bias_shape)


def _layer(x_shape, weight, bias, *, path, geometry, use_bias=True):
    """The custom Conv2D ("fast") or the built-in nn.Conv2d ("builtin"), with these parameters."""
    if path == "builtin":
        layer = BuiltinConv2D(conv_geometry(x_shape, weight.shape, geometry), bias=use_bias)
    else:
        layer = Conv2D(tuple(weight.shape), geometry=geometry)
    layer = layer.to(weight.dtype)
    with torch.no_grad():
        layer.weight.copy_(weight.reshape(layer.weight.shape))
        if layer.bias is not None:
            layer.bias.copy_(bias)
    return layer


def layer_forward(X, weight, bias, *, geometry=DEFAULT, path="fast"):
    return _layer(X.shape, weight, bias, path=path, geometry=geometry)(X)


def grad(X, K, bias, *, G, geometry=DEFAULT, path="fast"):
    layer = _layer(X.shape, K, bias, path=path, geometry=geometry)
    X = X.clone().requires_grad_()
    (layer(X) * G).sum().backward()
    return X.grad, layer.weight.grad.reshape(K.shape), layer.bias.grad


def learn(X, Y, K_init, *, lr, steps, path, bias, learn_bias, geometry=DEFAULT):
    # The lesson's nn.Conv2d(..., bias=False) whenever no bias takes part.
    use_bias = learn_bias or bool(bias.any())
    net = _layer(X.shape, K_init, bias, path=path, geometry=geometry, use_bias=use_bias)
    losses = []
    for _ in range(steps):
        Y_hat = net(X)
        l = (Y_hat - Y) ** 2
        net.zero_grad()
        l.sum().backward()
        losses.append(l.sum().item())
        with torch.no_grad():
            net.weight -= lr * net.weight.grad
            if learn_bias:
                net.bias -= lr * net.bias.grad
    final_bias = net.bias.detach() if net.bias is not None else bias
    return losses, net.weight.detach().reshape(K_init.shape), final_bias


def bare_loop(X, Y, K, *, lr, steps):
    """The lesson's loop bare, as a call: nn.Conv2d without bias (the bench's yardstick)."""
    X, Y = torch.from_numpy(X[None, None]), torch.from_numpy(Y[None, None])

    def run():
        conv2d = nn.Conv2d(1, 1, kernel_size=K.shape, bias=False)
        conv2d.weight.data[:] = torch.from_numpy(K)
        losses = []
        for _ in range(steps):
            Y_hat = conv2d(X)
            l = (Y_hat - Y) ** 2
            conv2d.zero_grad()
            l.sum().backward()
            losses.append(l.sum().item())
            conv2d.weight.data[:] -= lr * conv2d.weight.grad
        return losses
    return run
