"""The lesson's Conv2D block and what the cases do with a layer: one forward pass, the
gradients from autograd, the learning loop (on it, or on Gluon's own nn.Conv2D)."""

from mxnet import autograd, nd
from mxnet.gluon import nn

from convsuite.spec.shapes import DEFAULT, conv_geometry

from .builtin import BuiltinConv2D, _initialized
from .fast import corr2d


class Conv2D(nn.Block):
    """The lesson's Conv2D block, grown to channels, padding, stride, dilation, groups and
    padding modes (one Geometry)."""

    def __init__(self, kernel_size, geometry=DEFAULT, **kwargs):
        super().__init__(**kwargs)
        self.weight = self.params.get("weight", shape=kernel_size)
        self.bias = self.params.get("bias", shape=(kernel_size[0] if len(kernel_size) == 4 else 1,))
        self.geometry = geometry

    def forward(self, x):
        g = conv_geometry(x.shape, self.weight.shape, self.geometry)
        y = corr2d(x, self.weight.data(), self.geometry)
        return y + self.bias.data().reshape(g.bias_shape)


def _layer(weight, bias, *, x_shape, geometry, path, use_bias=True):
    """The custom Conv2D ("fast") or Gluon's own nn.Conv2D, with these parameters."""
    if path == "builtin":
        layer = BuiltinConv2D(conv_geometry(x_shape, weight.shape, geometry), use_bias)
    else:
        layer = Conv2D(tuple(weight.shape), geometry)
    return _initialized(layer, weight, bias)


def layer_forward(X, weight, bias, *, geometry=DEFAULT, path="fast"):
    return _layer(weight, bias, x_shape=X.shape, geometry=geometry, path=path)(X)


def grad(X, K, bias, *, G, geometry=DEFAULT, path="fast"):
    layer = _layer(K, bias, x_shape=X.shape, geometry=geometry, path=path)
    X = X.copy()
    X.attach_grad()
    with autograd.record():
        y = layer(X) * G
    y.backward()  # a non-scalar head: MXNet backpropagates ones, i.e. sum(y)
    return X.grad, layer.weight.grad().reshape(K.shape), layer.bias.grad()


def _uses_bias(bias, learn_bias):
    """The lesson's nn.Conv2D(..., use_bias=False) whenever no bias takes part."""
    return learn_bias or bool(bias.asnumpy().any())


def learn(X, Y, K_init, *, lr, steps, path, bias, learn_bias, geometry=DEFAULT):
    use_bias = _uses_bias(bias, learn_bias)
    conv = _layer(K_init, bias, x_shape=X.shape, geometry=geometry, path=path, use_bias=use_bias)
    losses = _descend(conv, lambda X, Y: (conv(X) - Y) ** 2, X, Y, lr=lr, steps=steps, learn_bias=learn_bias)
    return losses, conv.weight.data().reshape(K_init.shape), conv.bias.data() if use_bias else bias


def _descend(conv, loss, X, Y, *, lr, steps, learn_bias):
    """The lesson's loop: `steps` updates of conv's parameters down the gradient of
    loss(X, Y), its squared error; the losses before each."""
    losses = []
    for _ in range(steps):
        with autograd.record():
            l = loss(X, Y)
        l.backward()  # a non-scalar head: MXNet backpropagates ones, i.e. sum(l)
        losses.append(l)  # read after the loop: MXNet's engine runs ahead meanwhile
        conv.weight.data()[:] -= lr * conv.weight.grad()
        if learn_bias:
            conv.bias.data()[:] -= lr * conv.bias.grad()
    return [l.sum().asscalar().item() for l in losses]


def bare_loop(X, Y, K, *, lr, steps):
    """The lesson's loop bare, as a call: Gluon's Conv2D without bias (the bench's yardstick)."""
    X, Y = nd.array(X[None, None]), nd.array(Y[None, None])

    def run():
        conv2d = nn.Conv2D(1, kernel_size=K.shape, use_bias=False, in_channels=1)
        conv2d.initialize()
        conv2d.weight.set_data(nd.array(K[None, None]))
        losses = []
        for _ in range(steps):
            with autograd.record():
                Y_hat = conv2d(X)
                l = (Y_hat - Y) ** 2
            l.backward()
            losses.append(l.sum())
            conv2d.weight.data()[:] -= lr * conv2d.weight.grad()
        return [l.asscalar().item() for l in losses]
    return run
