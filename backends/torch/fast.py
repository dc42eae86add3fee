"""The fast corr2d: one strided window of the input per kernel offset, never gathered."""

import torch

from convsuite.spec.shapes import DEFAULT, conv_geometry

from .builtin import _pad

# Output elements per block of the stride-1 form: a block and the input rows it reads stay
# in cache (L2 and L3) while every kernel offset is added into it; torch's threads share each
# block. Smaller blocks cost more in per-call overhead than they save (measured at 4096x4096).
BLOCK = 1 << 20


def corr2d(X, K, geometry=DEFAULT):
    """Sum over the kernel's offsets (a, b) of the strided input window times K[:, :, a, b],
    added in place (addcmul_ for one channel, addmm_ over the input channels): the windows
    stay views, never gathered (im2col would store kh*kw copies of the input)."""
    g = conv_geometry(X.shape, K.shape, geometry)
    x, k = _pad(X.reshape(g.x4), g), K.reshape(g.k4)
    # The flat form's wrapped-around columns take no gradient, but 0 times an infinite input
    # there would still be NaN in dK: with autograd on, the exact windows below.
    differentiated = torch.is_grad_enabled() and (X.requires_grad or K.requires_grad)
    if g.groups == 1:
        return _corr2d_padded(x, k, g, differentiated=differentiated).reshape(g.out_shape)
    # group by group, each on its own input channels; their output channels side by side
    parts = [_corr2d_padded(x[:, inputs], k[outputs], g.one_group, differentiated=differentiated)
             for inputs, outputs in g.group_slices]
    return torch.cat(parts, dim=1).reshape(g.out_shape)


def _corr2d_padded(x, k, g, *, differentiated):
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
