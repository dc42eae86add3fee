"""MXNet Gluon backend: the lesson's MXNet code, recorded with autograd.

Layouts: Gluon's Conv2D takes NCHW input and OIHW (out, in, h, w) weights, the 4-D forms
`spec.shapes` computes every pairing in. It pads symmetrically only, and with zeros only;
asymmetric padding and the other padding modes go through `pad` first (reflect and edge:
it has no wrap-around, so circular padding is the input tiled three times and cut). It has
no "same": spec.shapes' explicit padding. MXNet 1.9.1 uses `np.bool`, an alias NumPy 1.24 removed: with
NumPy 1.23 it is there; with a newer NumPy < 2 (Python 3.12 has no wheel of 1.23) it is
restored below.

The compiled path is Gluon's `hybridize()`: the layer and the loss run as one cached graph
per step. Its 10-step learning loop cannot reach 1 ms here: MXNet 1.x compiles the forward
pass only, so each step stays three engine round trips from Python (the recorded forward,
`backward()`, the update). Profiled on the 2-core machine, learn-edge-custom (medians of 200
calls; the script is in the closing note of issue 15): the hybridized loop 4.6 ms; one
step 0.38 ms = record + forward 0.09, backward 0.15, update 0.09 (a tiny eager op costs
0.018 ms); the rest is building the layer once per call. Ten steps are at least 3.8 ms.
"""

import numpy as np

# MXNet 1.9.1 refers to `np.bool` (e.g. in its dtype tables), an alias of the builtin bool
# that NumPy deprecated in 1.20 and removed in 1.24; the oldest NumPy with Python 3.12 wheels
# is 1.26. Restoring the same alias before MXNet is imported changes nothing MXNet computes.
# (NumPy 1.20-1.23 serve it from a deprecation hook, not the module dict, so it is set there
# too: the same bool, minus the deprecation warning.)
if "bool" not in vars(np):
    np.bool = bool

import mxnet as mx  # noqa: E402 (after the alias it needs)
from mxnet import autograd, nd  # noqa: E402
from mxnet.gluon import nn  # noqa: E402

from convsuite.spec.shapes import conv_geometry  # noqa: E402
from convsuite.backends.mxnet.tensors import asarray, foreign_input, to_numpy, versions  # noqa: E402,F401 (check's sandbox uses them alone)

name = "mxnet"


def wait(tensor):
    """The tensor once computed: MXNet's engine runs ahead of Python (for timing it)."""
    tensor.wait_to_read()
    return tensor


# The padding modes as `pad` calls them; it has no circular mode.
_PAD_MODES = {"zeros": "constant", "reflect": "reflect", "replicate": "edge"}


def _pad(x4, g):
    """Pad an NCHW array (nd or sym: fluent methods only) by ((top, bottom), (left, right))
    in the geometry's padding mode."""
    (top, bottom), (left, right) = g.padding
    if g.padding_mode == "circular":  # three copies side by side, cut to the wrapped-around rows and columns
        h, w = g.x4[2:]
        rows = x4.tile(reps=(1, 1, 3, 1)).slice_axis(axis=2, begin=h - top, end=2 * h + bottom)
        return rows.tile(reps=(1, 1, 1, 3)).slice_axis(axis=3, begin=w - left, end=2 * w + right)
    return x4.pad(mode=_PAD_MODES[g.padding_mode], pad_width=(0, 0, 0, 0, top, bottom, left, right))


def _corr2d_single(X, K, g):
    """The lesson's corr2d on one padded channel (item assignment: not differentiable)."""
    Y = nd.zeros(g.out4[2:], dtype=X.dtype)
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            window = X[g.output_window(i, j)]
            Y[i, j] = (window * K).sum()
    return Y


def corr2d_loop(X, K, padding=0, stride=1, dilation=1, groups=1, padding_mode="zeros"):
    """The lessons' loops: corr2d per channel, summed over input channels
    (corr2d_multi_in), stacked over output channels (corr2d_multi_in_out) and the batch;
    each output channel sums over its group's input channels only."""
    g = conv_geometry(X.shape, K.shape, padding, stride, dilation, groups, padding_mode)
    X4, K4 = _pad(X.reshape(g.x4), g), K.reshape(g.k4)
    Y = nd.stack(*[
        nd.stack(*[nd.add_n(*[_corr2d_single(X4[n, g.input_channels(o).start + c], K4[o, c], g)
                               for c in range(g.k4[1])])
                   for o in range(g.k4[0])])
        for n in range(g.x4[0])
    ])
    return Y.reshape(g.out_shape)


def corr2d(X, K, padding=0, stride=1, dilation=1, groups=1, padding_mode="zeros"):
    """Sum over the kernel's offsets (a, b) of the strided input window times K[:, :, a, b]."""
    g = conv_geometry(X.shape, K.shape, padding, stride, dilation, groups, padding_mode)
    x, k = X.reshape(g.x4), K.reshape(g.k4)
    if g.k4[:2] == (1, 1) and g.stride == (1, 1) and not autograd.is_recording():
        return _corr2d_flat(_pad(x, g) if any(map(any, g.padding)) else x, k, g).reshape(g.out_shape)
    return _corr2d(nd, x, k, g).reshape(g.out_shape)


def _corr2d_flat(x, k, g):
    """One channel, stride 1, nothing to differentiate: the window of offset (a, b) is the
    flattened input from a*dh*W + b*dw on, a view (slicing the first axis copies nothing),
    and `linalg.gemm` adds it times the tap into the output in place. The output comes out
    W wide; the columns that wrap around are dropped at the end."""
    n, _, h, w = x.shape
    oh, ow = g.out4[2:]
    (dh, dw), (kh, kw) = g.dilation, g.k4[2:]
    span = (oh - 1) * w + ow  # from the first output to the last, flattened
    taps = k.reshape((kh, kw, 1, 1))  # taps[a][b] is a (1, 1) view
    Y = nd.empty((n, oh * w), dtype=x.dtype)
    for i in range(n):
        flat, y = x[i].reshape((-1,)), Y[i][:span].reshape((1, span))
        for a in range(kh):
            for b in range(kw):
                window = flat[a * dh * w + b * dw :][:span].reshape((1, span))
                if a == b == 0:
                    nd.linalg.gemm2(taps[a][b], window, out=y)
                else:
                    nd.linalg.gemm(taps[a][b], window, y, out=y)
    return nd.slice_axis(Y.reshape((n, 1, oh, w)), axis=3, begin=0, end=ow)


def _corr2d(F, x, k, g):
    """The fast form on NCHW `x` and OIHW `k`, in `F` = nd (eagerly) or sym (hybridized):
    each window times its tap, (C_out, C_in) times (C_in, N*H'*W'), added by one BLAS call
    (`linalg.gemm`: alpha*A*B + beta*C) per offset; group by group."""
    x = _pad(x, g) if any(map(any, g.padding)) else x
    if g.groups == 1:
        return _corr2d_padded(F, x, k, g)
    # group by group, each on its own input channels; their output channels side by side
    parts = [_corr2d_padded(F, F.slice_axis(x, axis=1, begin=inputs.start, end=inputs.stop),
                            F.slice_axis(k, axis=0, begin=outputs.start, end=outputs.stop), g.one_group)
             for inputs, outputs in g.group_slices]
    return F.concat(*parts, dim=1)


def _corr2d_padded(F, x, k, g):
    """One group's (N, C_out, H', W') output from its padded NCHW input and OIHW kernel."""
    (n, c_in), (c_out, oh, ow) = g.x4[:2], g.out4[1:]
    Y = None
    for a in range(g.k4[2]):
        for b in range(g.k4[3]):
            rows, cols = g.tap_window(a, b)[2:]
            window = F.slice(x, begin=(None, None, rows.start, cols.start), step=(None, None, rows.step, cols.step),
                             end=(None, None, rows.stop, cols.stop))
            columns = (window if n == 1 else window.transpose((1, 0, 2, 3))).reshape((c_in, -1))
            tap = F.slice(k, begin=(None, None, a, b), end=(None, None, a + 1, b + 1)).reshape((c_out, c_in))
            Y = F.linalg.gemm2(tap, columns) if Y is None else F.linalg.gemm(tap, columns, Y)
    if n == 1:
        return Y.reshape((1, c_out, oh, ow))
    return Y.reshape((c_out, n, oh, ow)).transpose((1, 0, 2, 3))


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


def corr2d_compiled(X, K, padding=0, stride=1, dilation=1, groups=1, padding_mode="zeros"):
    """The fast form hybridized: one symbol graph per shape and geometry, run as a cached op."""
    g = conv_geometry(X.shape, K.shape, padding, stride, dilation, groups, padding_mode)  # bad input raises here
    key = ("corr2d", X.shape, K.shape, X.dtype, g)
    forward = lambda F, x, k: _corr2d(F, x.reshape(g.x4), k.reshape(g.k4), g).reshape(g.out_shape)
    return _compiled(key, lambda: _Function(forward))(X, K)


class BuiltinConv2D(nn.Conv2D):
    """Gluon's own nn.Conv2D, taking and giving the case's shapes instead of NCHW."""

    def __init__(self, g, use_bias=True):
        symmetric = g.symmetric_padding
        # the layer pads with zeros, the same on both sides
        own = symmetric is not None and (g.padding_mode == "zeros" or symmetric == (0, 0))
        super().__init__(g.k4[0], kernel_size=g.k4[2:], strides=g.stride, dilation=g.dilation,
                         padding=symmetric if own else (0, 0), groups=g.groups, in_channels=g.x4[1],
                         use_bias=use_bias)
        self.geometry, self.pads_first = g, not own

    def forward(self, x):
        x4 = x.reshape(self.geometry.x4)
        if self.pads_first:
            x4 = _pad(x4, self.geometry)
        return super().forward(x4).reshape(self.geometry.out_shape)


def corr2d_builtin(X, K, padding=0, stride=1, dilation=1, groups=1, padding_mode="zeros"):
    g = conv_geometry(X.shape, K.shape, padding, stride, dilation, groups, padding_mode)
    return _initialized(BuiltinConv2D(g, use_bias=False), K, None)(X)


FORMS = {"fast": corr2d, "builtin": corr2d_builtin, "loop": corr2d_loop, "compiled": corr2d_compiled}


def conv2d(X, K, padding=0, stride=1, dilation=1, groups=1, padding_mode="zeros", form="fast"):
    rows, cols = K.ndim - 2, K.ndim - 1  # nd.flip takes no negative axes
    return FORMS[form](X, nd.flip(nd.flip(K, axis=rows), axis=cols), padding, stride, dilation, groups, padding_mode)


class Conv2D(nn.Block):
    """The lesson's Conv2D block, grown to channels, padding, stride, dilation, groups and
    padding modes."""

    def __init__(self, kernel_size, padding=0, stride=1, dilation=1, groups=1, padding_mode="zeros", **kwargs):
        super().__init__(**kwargs)
        self.weight = self.params.get("weight", shape=kernel_size)
        self.bias = self.params.get("bias", shape=(kernel_size[0] if len(kernel_size) == 4 else 1,))
        self.geometry = dict(padding=padding, stride=stride, dilation=dilation, groups=groups,
                             padding_mode=padding_mode)

    def forward(self, x):
        g = conv_geometry(x.shape, self.weight.shape, **self.geometry)
        y = corr2d(x, self.weight.data(), **self.geometry)
        return y + self.bias.data().reshape(g.bias_shape)


class _HybridConv2D(nn.HybridBlock):
    """The same layer as a HybridBlock for the compiled path: its geometry is fixed when it
    is built (a symbol has no shape to derive it from)."""

    def __init__(self, g, kernel_shape, **kwargs):
        super().__init__(**kwargs)
        self.g = g
        self.weight = self.params.get("weight", shape=kernel_shape)
        self.bias = self.params.get("bias", shape=(g.k4[0] if len(kernel_shape) == 4 else 1,))

    def hybrid_forward(self, F, x, weight, bias):
        g = self.g
        y = _corr2d(F, x.reshape(g.x4), weight.reshape(g.k4), g).reshape(g.out_shape)
        return F.broadcast_add(y, bias.reshape(g.bias_shape))


def _initialized(layer, weight, bias):
    layer.initialize()
    layer.cast(weight.dtype)
    layer.weight.set_data(weight.reshape(layer.weight.shape))
    if layer.bias is not None:
        layer.bias.set_data(bias)
    return layer


def _layer(form, x_shape, weight, bias, geometry, use_bias=True):
    """The custom Conv2D ("fast") or Gluon's own nn.Conv2D, with these parameters."""
    if form == "builtin":
        layer = BuiltinConv2D(conv_geometry(x_shape, weight.shape, **geometry), use_bias)
    else:
        layer = Conv2D(tuple(weight.shape), **geometry)
    return _initialized(layer, weight, bias)


def layer_forward(X, weight, bias, padding=0, stride=1, dilation=1, groups=1, padding_mode="zeros", form="fast"):
    geometry = dict(padding=padding, stride=stride, dilation=dilation, groups=groups,
                    padding_mode=padding_mode)
    return _layer(form, X.shape, weight, bias, geometry)(X)


def grad(X, K, bias, G, padding=0, stride=1, dilation=1, groups=1, padding_mode="zeros", form="fast"):
    layer = _layer(form, X.shape, K, bias, dict(padding=padding, stride=stride, dilation=dilation, groups=groups,
                    padding_mode=padding_mode))
    X = X.copy()
    X.attach_grad()
    with autograd.record():
        y = layer(X) * G
    y.backward()  # a non-scalar head: MXNet backpropagates ones, i.e. sum(y)
    return X.grad, layer.weight.grad().reshape(K.shape), layer.bias.grad()


def learn(X, Y, K_init, lr, steps, form, bias, learn_bias, padding=0, stride=1, dilation=1, groups=1,
          padding_mode="zeros", compiled=False):
    geometry = dict(padding=padding, stride=stride, dilation=dilation, groups=groups,
                    padding_mode=padding_mode)
    # The lesson's nn.Conv2D(..., use_bias=False) whenever no bias takes part.
    use_bias = learn_bias or bool(bias.asnumpy().any())
    if compiled:
        loss = _hybridized_loss(form, X.shape, K_init, bias, geometry, use_bias)
        conv = loss.net
    else:
        conv = _layer(form, X.shape, K_init, bias, geometry, use_bias)
        loss = lambda X, Y: (conv(X) - Y) ** 2
    losses = []
    for _ in range(steps):
        with autograd.record():
            l = loss(X, Y)
        l.backward()  # a non-scalar head: MXNet backpropagates ones, i.e. sum(l)
        losses.append(l)  # read after the loop: MXNet's engine runs ahead meanwhile
        conv.weight.data()[:] -= lr * conv.weight.grad()
        if learn_bias:
            conv.bias.data()[:] -= lr * conv.bias.grad()
    final_bias = conv.bias.data() if use_bias else bias
    losses = [l.sum().asscalar().item() for l in losses]
    return losses, conv.weight.data().reshape(K_init.shape), final_bias


def learn_compiled(X, Y, K_init, lr, steps, form, bias, learn_bias, padding=0, stride=1, dilation=1, groups=1,
                   padding_mode="zeros"):
    """The same loop on a hybridized layer and loss: forward and backward run as one cached
    graph per step (see `_hybridized_loss`)."""
    return learn(X, Y, K_init, lr, steps, form, bias, learn_bias, padding, stride, dilation, groups, padding_mode,
                 compiled=True)


class _Loss(nn.HybridBlock):
    """The lesson's squared error of a layer, hybridized with it into one cached graph."""

    def __init__(self, net, **kwargs):
        super().__init__(**kwargs)
        self.net = net

    def hybrid_forward(self, F, X, Y):
        return (self.net(X) - Y) ** 2


def _hybridized_loss(form, x_shape, weight, bias, geometry, use_bias):
    """Gluon's nn.Conv2D or the custom layer's fast form, and the loss, hybridized: built
    once per shape and geometry, its parameters set anew on every call."""
    g = conv_geometry(x_shape, weight.shape, **geometry)
    key = ("learn", form, x_shape, weight.shape, weight.dtype, g, use_bias)
    net = lambda: BuiltinConv2D(g, use_bias) if form == "builtin" else _HybridConv2D(g, weight.shape)
    loss = _compiled(key, lambda: _Loss(_initialized(net(), weight, bias)))
    loss.net.weight.set_data(weight.reshape(loss.net.weight.shape))
    if loss.net.bias is not None:
        loss.net.bias.set_data(bias)
    return loss


def bare_loop(X, Y, K, lr, steps):
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
