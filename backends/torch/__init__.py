"""PyTorch backend: the lesson's PyTorch code, with autograd doing the backward pass.

Layouts: torch convolutions take NCHW input and OIHW (out, in, h, w) weights, the 4-D forms
`spec.shapes` computes every pairing in. `nn.Conv2d` pads symmetrically only, in any of the
spec's padding modes (they are torch's names); asymmetric padding goes through `F.pad`
first. Its padding="same" splits the padding as the spec does, but refuses stride > 1.

No compiled path: `torch.compile(fullgraph=True)` (inductor) does not pay at the large sizes,
compiling included (torch 2.13 on the 2-core machine, medians of runs in turns, inductor's
cache empty; the script, run with the torch environment's Python, is in issue 15's closing
note). The fast corr2d at 1024x1024/5x5: 14-20 s to compile, then 6.2-13.9 ms a call against
2.2-6.7 ms eager. The lesson's loop cannot be one graph around its Conv2D (Dynamo refuses the
`nn.Parameter()` constructor); written functionally (`torch.func.grad_and_value` per step)
its 10 steps at 1024x1024/5x5 took 334 s to compile and ran no faster (2.2 s against 0.80 s).
Only lesson-sized loops gain: learn-edge-custom in 0.21-0.33 ms against 3.1-3.3 ms eager,
after 6.8-7.2 s of compiling (1.0 s from a warm cache) for each new shape, and the
conformance cases alone hold over a hundred shapes. `torch.jit` is deprecated.
"""

import warnings

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from convsuite.spec.shapes import conv_geometry
from convsuite.backends.torch.tensors import asarray, to_numpy, versions  # noqa: E402,F401 (check's sandbox uses them alone)

name = "torch"


# Bit-identical reruns: refuse nondeterministic kernels (CPU kernels here already are).
torch.use_deterministic_algorithms(True)
# padding="same" with an even kernel warns that it pads a copy of the input first: what
# every asymmetric padding here does anyway.
warnings.filterwarnings("ignore", message="Using padding='same' with even kernel", category=UserWarning)


# The padding modes as F.pad calls them (nn.Conv2d's padding_mode takes the spec's names).
_PAD_MODES = {"zeros": "constant", "reflect": "reflect", "replicate": "replicate", "circular": "circular"}


def _pad(x4, g):
    """Pad an NCHW tensor by ((top, bottom), (left, right)) in the geometry's padding mode
    (no copy when all are 0)."""
    if not any(map(any, g.padding)):
        return x4
    (top, bottom), (left, right) = g.padding
    return F.pad(x4, (left, right, top, bottom), mode=_PAD_MODES[g.padding_mode])


def _corr2d_single(X, K, g):
    """The lesson's corr2d on one padded channel, one output element at a time."""
    Y = torch.zeros(g.out4[2:], dtype=X.dtype)
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
    Y = torch.stack([
        torch.stack([sum(_corr2d_single(x, k, g) for x, k in zip(X4[n, g.input_channels(o)], K4[o]))
                     for o in range(g.k4[0])])
        for n in range(g.x4[0])
    ])
    return Y.reshape(g.out_shape)


# Output elements per block of the stride-1 form: a block and the input rows it reads stay
# in cache (L2 and L3) while every kernel offset is added into it; torch's threads share each
# block. Smaller blocks cost more in per-call overhead than they save (measured at 4096x4096).
BLOCK = 1 << 20


def corr2d(X, K, padding=0, stride=1, dilation=1, groups=1, padding_mode="zeros"):
    """Sum over the kernel's offsets (a, b) of the strided input window times K[:, :, a, b],
    added in place (addcmul_ for one channel, addmm_ over the input channels): the windows
    stay views, never gathered (im2col would store kh*kw copies of the input)."""
    g = conv_geometry(X.shape, K.shape, padding, stride, dilation, groups, padding_mode)
    x, k = _pad(X.reshape(g.x4), g), K.reshape(g.k4)
    # The flat form's wrapped-around columns take no gradient, but 0 times an infinite input
    # there would still be NaN in dK: with autograd on, the exact windows below.
    differentiated = torch.is_grad_enabled() and (X.requires_grad or K.requires_grad)
    if g.groups == 1:
        return _corr2d_padded(x, k, g, differentiated).reshape(g.out_shape)
    # group by group, each on its own input channels; their output channels side by side
    parts = [_corr2d_padded(x[:, inputs], k[outputs], g.one_group, differentiated)
             for inputs, outputs in g.group_slices]
    return torch.cat(parts, dim=1).reshape(g.out_shape)


def _corr2d_padded(x, k, g, differentiated):
    """One group's (N, C_out, H', W') output from its padded NCHW input and OIHW kernel."""
    if g.stride == (1, 1) and not differentiated:
        return _corr2d_flat(x.contiguous(), k, g)
    Y = torch.zeros(g.out4, dtype=x.dtype)
    for a in range(g.k4[2]):
        for b in range(g.k4[3]):
            window = x[g.tap_window(a, b)]
            if g.k4[:2] == (1, 1):
                Y.addcmul_(window, k[0, 0, a, b])
            else:
                Y = Y + torch.einsum("nchw,oc->nohw", window, k[:, :, a, b])
    return Y


def _corr2d_flat(x, k, g):
    """Stride 1: the window of offset (a, b) is one contiguous run of the flattened input,
    a*dh*W + b*dw elements on. The output comes out W wide (its last columns, which wrap
    around, are dropped) and is built block by block."""
    n, c, h, w = x.shape
    c_out, oh, ow = g.out4[1:]
    (dh, dw), (kh, kw) = g.dilation, g.k4[2:]
    span = (oh - 1) * w + ow  # from the first output to the last, flattened
    xf = x.reshape(n, c, h * w)
    Y = x.new_zeros((n, c_out, oh * w))
    taps = [(a * dh * w + b * dw, k[:, :, a, b]) for a in range(kh) for b in range(kw)]
    step = max(BLOCK // (c + c_out), w)
    for start in range(0, span, step):
        stop = min(start + step, span)
        y = Y[:, :, start:stop]
        for offset, tap in taps:
            window = xf[:, :, start + offset : stop + offset]
            if (c, c_out) == (1, 1):
                y.addcmul_(window, tap[0, 0])
            else:
                for i in range(n):
                    y[i].addmm_(tap, window[i])
    return Y.reshape(n, c_out, oh, w)[..., :ow]


class BuiltinConv2D(nn.Conv2d):
    """torch's own nn.Conv2d, taking and giving the case's shapes instead of NCHW."""

    def __init__(self, g, bias=True):
        symmetric = g.symmetric_padding
        # torch's own "valid" and "same" (which splits as the spec does, but refuses stride > 1)
        named = g.padding_name == "valid" or (g.padding_name == "same" and g.stride == (1, 1))
        super().__init__(g.x4[1], g.k4[0], g.k4[2:], stride=g.stride, dilation=g.dilation,
                         padding=g.padding_name if named else symmetric or 0, groups=g.groups,
                         padding_mode=g.padding_mode, bias=bias)
        self.geometry, self.pads_first = g, not named and symmetric is None

    def forward(self, x):
        x4 = x.reshape(self.geometry.x4)
        if self.pads_first:
            x4 = _pad(x4, self.geometry)
        return super().forward(x4).reshape(self.geometry.out_shape)


def corr2d_builtin(X, K, padding=0, stride=1, dilation=1, groups=1, padding_mode="zeros"):
    g = conv_geometry(X.shape, K.shape, padding, stride, dilation, groups, padding_mode)
    layer = BuiltinConv2D(g, bias=False).to(X.dtype)
    with torch.no_grad():
        layer.weight.copy_(K.reshape(g.k4))
    return layer(X)


FORMS = {"fast": corr2d, "builtin": corr2d_builtin, "loop": corr2d_loop}


def conv2d(X, K, padding=0, stride=1, dilation=1, groups=1, padding_mode="zeros", form="fast"):
    return FORMS[form](X, torch.flip(K, dims=(-2, -1)), padding, stride, dilation, groups, padding_mode)


class Conv2D(nn.Module):
    """The lesson's Conv2D module, grown to channels, padding, stride, dilation, groups and
    padding modes."""

    def __init__(self, kernel_size, padding=0, stride=1, dilation=1, groups=1, padding_mode="zeros"):
        super().__init__()
        self.weight = nn.Parameter(torch.rand(kernel_size))
        self.bias = nn.Parameter(torch.zeros(kernel_size[0] if len(kernel_size) == 4 else 1))
        self.geometry = dict(padding=padding, stride=stride, dilation=dilation, groups=groups,
                             padding_mode=padding_mode)

    def forward(self, x):
        g = conv_geometry(x.shape, self.weight.shape, **self.geometry)
        return corr2d(x, self.weight, **self.geometry) + self.bias.reshape(g.bias_shape)


def _layer(form, x_shape, weight, bias, geometry, use_bias=True):
    """The custom Conv2D ("fast") or the built-in nn.Conv2d, with these parameters."""
    if form == "builtin":
        layer = BuiltinConv2D(conv_geometry(x_shape, weight.shape, **geometry), bias=use_bias)
    else:
        layer = Conv2D(tuple(weight.shape), **geometry)
    layer = layer.to(weight.dtype)
    with torch.no_grad():
        layer.weight.copy_(weight.reshape(layer.weight.shape))
        if layer.bias is not None:
            layer.bias.copy_(bias)
    return layer


def layer_forward(X, weight, bias, padding=0, stride=1, dilation=1, groups=1, padding_mode="zeros", form="fast"):
    geometry = dict(padding=padding, stride=stride, dilation=dilation, groups=groups,
                    padding_mode=padding_mode)
    return _layer(form, X.shape, weight, bias, geometry)(X)


def grad(X, K, bias, G, padding=0, stride=1, dilation=1, groups=1, padding_mode="zeros", form="fast"):
    geometry = dict(padding=padding, stride=stride, dilation=dilation, groups=groups,
                    padding_mode=padding_mode)
    layer = _layer(form, X.shape, K, bias, geometry)
    X = X.clone().requires_grad_()
    (layer(X) * G).sum().backward()
    return X.grad, layer.weight.grad.reshape(K.shape), layer.bias.grad


def learn(X, Y, K_init, lr, steps, form, bias, learn_bias, padding=0, stride=1, dilation=1, groups=1,
          padding_mode="zeros"):
    geometry = dict(padding=padding, stride=stride, dilation=dilation, groups=groups,
                    padding_mode=padding_mode)
    # The lesson's nn.Conv2d(..., bias=False) whenever no bias takes part.
    use_bias = learn_bias or bool(bias.any())
    net = _layer(form, X.shape, K_init, bias, geometry, use_bias)
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


def bare_loop(X, Y, K, lr, steps):
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
