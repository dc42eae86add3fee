"""The compiled path: Gluon's `hybridize()`. The fast path and the learning loop's layer and
loss are traced once into a symbol graph per shape, dtype and geometry, and later calls run
its cached op (the package's docstring says what that gains)."""

from mxnet.gluon import nn

from convsuite.spec.shapes import DEFAULT, conv_geometry

from .builtin import BuiltinConv2D, _initialized
from .fast import _corr2d
from .layer import _descend, _uses_bias

# Hybridized blocks by what they compute and the shapes, dtype and geometry they take: each
# is traced once into a symbol graph, and later calls run its cached op.
_COMPILED = {}


def _compiled(key, build):
    if key not in _COMPILED:
        _COMPILED[key] = build()
        _COMPILED[key].hybridize(static_alloc=True, static_shape=True)
    return _COMPILED[key]


class _Function(nn.HybridBlock):
    """`function(F, *inputs)` as a Gluon HybridBlock, so that hybridize() can compile it."""

    def __init__(self, function, **kwargs):
        super().__init__(**kwargs)
        self.function = function

    def hybrid_forward(self, F, *inputs):
        return self.function(F, *inputs)


def corr2d_compiled(X, K, geometry=DEFAULT):
    """The fast path hybridized: one symbol graph per shape and geometry, run as a cached op."""
    g = conv_geometry(X.shape, K.shape, geometry)  # bad input raises here
    key = ("corr2d", X.shape, K.shape, X.dtype, g)
    forward = lambda F, x, k: _corr2d(F, x.reshape(g.x4), k.reshape(g.k4), g).reshape(g.out_shape)
    return _compiled(key, lambda: _Function(forward))(X, K)


class _HybridConv2D(nn.HybridBlock):
    """The lesson's layer as a HybridBlock for the compiled path: its geometry is fixed when
    it is built (a symbol has no shape to derive it from)."""

    def __init__(self, g, kernel_shape, **kwargs):
        super().__init__(**kwargs)
        self.g = g
        self.weight = self.params.get("weight", shape=kernel_shape)
        self.bias = self.params.get("bias", shape=(g.k4[0] if len(kernel_shape) == 4 else 1,))

    def hybrid_forward(self, F, x, weight, bias):
        g = self.g
        y = _corr2d(F, x.reshape(g.x4), weight.reshape(g.k4), g).reshape(g.out_shape)
        return F.broadcast_add(y, bias.reshape(g.bias_shape))


class _Loss(nn.HybridBlock):
    """The lesson's squared error of a layer, hybridized with it into one cached graph."""

    def __init__(self, net, **kwargs):
        super().__init__(**kwargs)
        self.net = net

    def hybrid_forward(self, F, X, Y):
        return (self.net(X) - Y) ** 2


def _hybridized_loss(weight, bias, *, x_shape, geometry, path, use_bias):
    """Gluon's nn.Conv2D or the custom layer's fast path, and the loss, hybridized: built
    once per shape and geometry, its parameters set anew on every call."""
    g = conv_geometry(x_shape, weight.shape, geometry)
    key = ("learn", path, x_shape, weight.shape, weight.dtype, g, use_bias)
    net = lambda: BuiltinConv2D(g, use_bias) if path == "builtin" else _HybridConv2D(g, weight.shape)
    loss = _compiled(key, lambda: _Loss(_initialized(net(), weight, bias)))
    loss.net.weight.set_data(weight.reshape(loss.net.weight.shape))
    if loss.net.bias is not None:
        loss.net.bias.set_data(bias)
    return loss


def learn_compiled(X, Y, K_init, *, lr, steps, path, bias, learn_bias, geometry=DEFAULT):
    """The lesson's loop on a hybridized layer and loss: forward and backward run as one
    cached graph per step (see `_hybridized_loss`)."""
    use_bias = _uses_bias(bias, learn_bias)
    loss = _hybridized_loss(K_init, bias, x_shape=X.shape, geometry=geometry, path=path, use_bias=use_bias)
    conv = loss.net
    losses = _descend(conv, loss, X, Y, lr=lr, steps=steps, learn_bias=learn_bias)
    return losses, conv.weight.data().reshape(K_init.shape), conv.bias.data() if use_bias else bias
