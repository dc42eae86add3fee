"""PaddlePaddle backend: the lesson's Paddle code (dygraph), with autograd doing the backward
pass.

Layouts: Paddle's convolutions take NCHW input and OIHW (out, in, h, w) weights, the 4-D
forms `spec.shapes` computes every pairing in. `nn.Conv2D` takes asymmetric padding itself,
as [top, bottom, left, right], and multiplies the padded zeros (0 * inf is NaN there, as the
contract says), so nothing is padded first; `F.pad`, which the fast form uses, takes
[left, right, top, bottom], the last axis first. Its padding modes take one padding for all
four sides, and its padding="SAME" drops the dilation (it pads and convolves as if the
kernel were not dilated): elsewhere `F.pad` pads first, or the padding is explicit.

No compiled path: `paddle.jit.to_static` never beat the eager loop, not even with its program
built once and reused (medians on the 2-core machine, paddle 3.3.1). The lesson's 10-step
loop, learn-edge-custom: eager 3.5-3.8 ms; to_static's AST translation (full_graph=True)
10-16 ms reusing the program of the same shape, 60-115 ms for each new shape (0.4-0.9 s for
the first in a process). learn-edge-builtin: eager 2.0-2.2 ms; to_static 5.6-6.4 ms reused,
20-32 ms for a new shape. The 6x8 corr2d: eager 80 us, to_static 0.9 ms a call after 50 ms
of translation per shape. Its default, the bytecode translator SOT (full_graph=False),
cannot trace the fast form (it finds no `Geometry.tap_window`, a frozen dataclass's method)
and ran the built-in loop in 3.5-3.9 ms. Eager Paddle runs every built-in case on both
paths in about 0.25 s; the conformance cases alone hold over a hundred shapes.
"""

import warnings

import numpy as np

# Paddle's C++-extension helper warns at import that no ccache is on the PATH (it would
# only matter for building custom operators): kept out of every run's output.
with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="No ccache found", category=UserWarning)
    import paddle
import paddle.nn.functional as F  # noqa: E402
from paddle import nn  # noqa: E402

from convsuite.spec.shapes import conv_geometry  # noqa: E402
from convsuite.backends.paddle.tensors import asarray, to_numpy, versions  # noqa: E402,F401 (check's sandbox uses them alone)

name = "paddle"


# The padding modes as F.pad calls them (nn.Conv2D's padding_mode takes the spec's names).
_PAD_MODES = {"zeros": "constant", "reflect": "reflect", "replicate": "replicate", "circular": "circular"}


def _pad(x4, g):
    """Pad an NCHW tensor by ((top, bottom), (left, right)) in the geometry's padding mode
    (no copy when all are 0)."""
    if not any(map(any, g.padding)):
        return x4
    (top, bottom), (left, right) = g.padding
    return F.pad(x4, [left, right, top, bottom], mode=_PAD_MODES[g.padding_mode])


def _corr2d_single(X, K, g):
    """The lesson's corr2d on one padded channel, one output element at a time."""
    Y = paddle.zeros(g.out4[2:], dtype=X.dtype)
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
    Y = paddle.stack([
        paddle.stack([sum(_corr2d_single(x, k, g) for x, k in zip(X4[n, g.input_channels(o)], K4[o]))
                      for o in range(g.k4[0])])
        for n in range(g.x4[0])
    ])
    return Y.reshape(g.out_shape)


def corr2d(X, K, padding=0, stride=1, dilation=1, groups=1, padding_mode="zeros"):
    """Sum over the kernel's offsets (a, b) of the strided input window times K[:, :, a, b]:
    a product per offset (one channel) or a matrix product over the input channels."""
    g = conv_geometry(X.shape, K.shape, padding, stride, dilation, groups, padding_mode)
    x, k = _pad(X.reshape(g.x4), g), K.reshape(g.k4)
    if g.groups == 1:
        return _corr2d_padded(x, k, g).reshape(g.out_shape)
    # group by group, each on its own input channels; their output channels side by side
    parts = [_corr2d_padded(x[:, inputs], k[outputs], g.one_group) for inputs, outputs in g.group_slices]
    return paddle.concat(parts, axis=1).reshape(g.out_shape)


def _corr2d_padded(x, k, g):
    """One group's (N, C_out, H', W') output from its padded NCHW input and OIHW kernel."""
    Y = None
    for a in range(g.k4[2]):
        for b in range(g.k4[3]):
            window = x[g.tap_window(a, b)]
            if g.k4[:2] == (1, 1):
                term = window * k[0, 0, a, b]
            else:
                term = paddle.einsum("nchw,oc->nohw", window, k[:, :, a, b])
            Y = term if Y is None else Y + term
    return Y


def _layer_padding(g):
    """nn.Conv2D's padding= and padding_mode= for the geometry, and whether F.pad pads first."""
    (top, bottom), (left, right) = g.padding
    if g.padding_name == "valid":
        return "VALID", "zeros", False
    if g.padding_name == "same" and g.padding_mode == "zeros" and g.dilation == (1, 1):
        return "SAME", "zeros", False  # its "SAME" would drop a dilation
    if g.padding_mode == "zeros":
        return [top, bottom, left, right], "zeros", False
    if top == bottom == left == right:  # its padding modes take one padding for all sides
        return top, g.padding_mode, False
    return 0, "zeros", True


class BuiltinConv2D(nn.Conv2D):
    """Paddle's own nn.Conv2D, taking and giving the case's shapes instead of NCHW."""

    def __init__(self, g, bias=True):
        padding, padding_mode, self.pads_first = _layer_padding(g)
        super().__init__(g.x4[1], g.k4[0], g.k4[2:], stride=g.stride, dilation=g.dilation, padding=padding,
                         groups=g.groups, padding_mode=padding_mode, bias_attr=None if bias else False)
        self.geometry = g

    def forward(self, x):
        x4 = x.reshape(self.geometry.x4)
        if self.pads_first:
            x4 = _pad(x4, self.geometry)
        return super().forward(x4).reshape(self.geometry.out_shape)


def corr2d_builtin(X, K, padding=0, stride=1, dilation=1, groups=1, padding_mode="zeros"):
    g = conv_geometry(X.shape, K.shape, padding, stride, dilation, groups, padding_mode)
    layer = BuiltinConv2D(g, bias=False)
    layer.to(dtype=X.dtype)
    layer.weight.set_value(K.reshape(g.k4))
    return layer(X)


FORMS = {"fast": corr2d, "builtin": corr2d_builtin, "loop": corr2d_loop}


def conv2d(X, K, padding=0, stride=1, dilation=1, groups=1, padding_mode="zeros", form="fast"):
    return FORMS[form](X, paddle.flip(K, axis=[-2, -1]), padding, stride, dilation, groups, padding_mode)


class Conv2D(nn.Layer):
    """The lesson's Conv2D layer, grown to channels, padding, stride, dilation, groups and
    padding modes."""

    def __init__(self, kernel_size, padding=0, stride=1, dilation=1, groups=1, padding_mode="zeros"):
        super().__init__()
        self.weight = self.create_parameter(
            list(kernel_size), default_initializer=nn.initializer.Uniform(0.0, 1.0))
        self.bias = self.create_parameter([kernel_size[0] if len(kernel_size) == 4 else 1], is_bias=True)
        self.geometry = dict(padding=padding, stride=stride, dilation=dilation, groups=groups,
                             padding_mode=padding_mode)

    def forward(self, x):
        g = conv_geometry(x.shape, self.weight.shape, **self.geometry)
        return corr2d(x, self.weight, **self.geometry) + self.bias.reshape(g.bias_shape)


def _layer(form, x_shape, weight, bias, geometry, use_bias=True):
    """The custom Conv2D ("fast") or the built-in nn.Conv2D, with these parameters."""
    if form == "builtin":
        layer = BuiltinConv2D(conv_geometry(x_shape, weight.shape, **geometry), bias=use_bias)
    else:
        layer = Conv2D(tuple(weight.shape), **geometry)
    layer.to(dtype=weight.dtype)
    layer.weight.set_value(weight.reshape(layer.weight.shape))
    if layer.bias is not None:
        layer.bias.set_value(bias)
    return layer


def layer_forward(X, weight, bias, padding=0, stride=1, dilation=1, groups=1, padding_mode="zeros", form="fast"):
    geometry = dict(padding=padding, stride=stride, dilation=dilation, groups=groups,
                    padding_mode=padding_mode)
    return _layer(form, X.shape, weight, bias, geometry)(X)


def grad(X, K, bias, G, padding=0, stride=1, dilation=1, groups=1, padding_mode="zeros", form="fast"):
    geometry = dict(padding=padding, stride=stride, dilation=dilation, groups=groups,
                    padding_mode=padding_mode)
    layer = _layer(form, X.shape, K, bias, geometry)
    X = X.clone()
    X.stop_gradient = False
    (layer(X) * G).sum().backward()
    return X.grad, layer.weight.grad.reshape(K.shape), layer.bias.grad


def learn(X, Y, K_init, lr, steps, form, bias, learn_bias, padding=0, stride=1, dilation=1, groups=1,
          padding_mode="zeros"):
    geometry = dict(padding=padding, stride=stride, dilation=dilation, groups=groups,
                    padding_mode=padding_mode)
    # The lesson's nn.Conv2D(..., bias_attr=False) whenever no bias takes part.
    use_bias = learn_bias or bool((bias != 0).any())
    net = _layer(form, X.shape, K_init, bias, geometry, use_bias)
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


def bare_loop(X, Y, K, lr, steps):
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
