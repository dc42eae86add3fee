"""The lesson's Conv2D layer, its gradients and its learning loop, on the fast corr2d or on
Paddle's own nn.Conv2D."""

import paddle
from paddle import nn

from convsuite.spec.shapes import DEFAULT, conv_geometry

from .builtin import BuiltinConv2D
from .fast import corr2d


class Conv2D(nn.Layer):
    """The lesson's Conv2D layer, grown to channels, padding, stride, dilation, groups and
    padding modes (one spec.shapes.Geometry)."""

    def __init__(self, kernel_size, geometry=DEFAULT):
        super().__init__()
        self.weight = self.create_parameter(
            list(kernel_size), default_initializer=nn.initializer.Uniform(0.0, 1.0))
        self.bias = self.create_parameter([kernel_size[0] if len(kernel_size) == 4 else 1], is_bias=True)
        self.geometry = geometry

    def forward(self, x):
        g = conv_geometry(x.shape, self.weight.shape, self.geometry)
        return corr2d(x, self.weight, self.geometry) + self.bias.reshape(g.bias_shape)


def _layer(x_shape, weight, bias, *, path, geometry, use_bias=True):
    """The custom Conv2D ("fast") or the built-in nn.Conv2D ("builtin"), with these parameters."""
    if path == "builtin":
        layer = BuiltinConv2D(conv_geometry(x_shape, weight.shape, geometry), bias=use_bias)
    else:
        layer = Conv2D(tuple(weight.shape), geometry=geometry)
    layer.to(dtype=weight.dtype)
    layer.weight.set_value(weight.reshape(layer.weight.shape))
    if layer.bias is not None:
        layer.bias.set_value(bias)
    return layer


def layer_forward(X, weight, bias, *, geometry=DEFAULT, path="fast"):
    return _layer(X.shape, weight, bias, path=path, geometry=geometry)(X)


def grad(X, K, bias, *, G, geometry=DEFAULT, path="fast"):
    layer = _layer(X.shape, K, bias, path=path, geometry=geometry)
    X = X.clone()
    X.stop_gradient = False
    (layer(X) * G).sum().backward()
    return X.grad, layer.weight.grad.reshape(K.shape), layer.bias.grad


def learn(X, Y, K_init, *, lr, steps, path, bias, learn_bias, geometry=DEFAULT):
    # The lesson's nn.Conv2D(..., bias_attr=False) whenever no bias takes part.
    use_bias = learn_bias or bool((bias != 0).any())
    net = _layer(X.shape, K_init, bias, path=path, geometry=geometry, use_bias=use_bias)
    losses = []
    for _ in range(steps):
        Y_hat = net(X)
        l = (Y_hat - Y) ** 2
        net.clear_gradients()
        l.sum().backward()
        losses.append(l.sum().item())
        with paddle.no_grad():
            net.weight[:] -= lr * net.weight.grad
            if learn_bias:
                net.bias[:] -= lr * net.bias.grad
    final_bias = net.bias.detach() if net.bias is not None else bias
    return losses, net.weight.detach().reshape(K_init.shape), final_bias


def bare_loop(X, Y, K, *, lr, steps):
    """The lesson's loop bare, as a call: nn.Conv2D without bias (the bench's yardstick)."""
    X, Y = paddle.to_tensor(X[None, None]), paddle.to_tensor(Y[None, None])

    def run():
        conv2d = nn.Conv2D(1, 1, kernel_size=K.shape, bias_attr=False)
        conv2d.weight.set_value(K[None, None])
        losses = []
        for _ in range(steps):
            Y_hat = conv2d(X)
            l = (Y_hat - Y) ** 2
            conv2d.clear_gradients()
            l.sum().backward()
            losses.append(l.sum().item())
            with paddle.no_grad():
                conv2d.weight[:] -= lr * conv2d.weight.grad
        return losses
    return run
