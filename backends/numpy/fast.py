"""The fast path: the sum over the kernel's offsets of strided views of the input times the
offset's tap, accumulated in place; at stride 1 over the flattened input, block by block."""

import numpy as np

from convsuite.spec.shapes import DEFAULT, conv_geometry

from .builtin import _padded

# Output elements per block of the stride-1 form: a block of Y and the input it reads stay
# in the core's cache while every kernel offset is added into it. With channels each offset
# is a matrix product, which blocks for the cache itself; fewer, larger products thread better.
BLOCK, CHANNELS_BLOCK = 1 << 15, 1 << 20


def corr2d(X, K, geometry=DEFAULT):
    """Sum over the kernel's offsets of the strided input window times K[:, :, a, b],
    accumulated in place: the windows stay views (gathering them would take kh*kw copies
    of the input)."""
    return _corr2d(X, K, conv_geometry(X.shape, K.shape, geometry))


def _corr2d(X, K, g):
    x, k = _padded(X, g), K.reshape(g.k4)
    if g.groups == 1:
        return _corr2d_padded(x, k, g).reshape(g.out_shape)
    # group by group, each on its own input channels; their output channels side by side
    parts = [_corr2d_padded(x[:, inputs], k[outputs], g.one_group) for inputs, outputs in g.group_slices]
    return np.concatenate(parts, axis=1).reshape(g.out_shape)


def _corr2d_padded(x, k, g):
    """One group's (N, C_out, H', W') output from its padded NCHW input and OIHW kernel."""
    if g.stride == (1, 1):
        return _corr2d_flat(np.ascontiguousarray(x), k, g)
    Y = np.zeros(g.out4, dtype=np.result_type(x, k))
    product = np.empty_like(Y)
    for a in range(g.k4[2]):
        for b in range(g.k4[3]):
            window = x[g.tap_window(a, b)]
            if g.k4[:2] == (1, 1):
                np.multiply(window, k[0, 0, a, b], out=product)
            else:
                np.einsum("nchw,oc->nohw", window, k[:, :, a, b], out=product)
            Y += product
    return Y


def _corr2d_flat(x, k, g):
    """Stride 1: the window of offset (a, b) is one contiguous run of the flattened input,
    a*dh*W + b*dw elements on. The output comes out W wide (its last columns, which wrap
    around, are dropped) and is summed block by block, each block staying in cache for
    all the offsets."""
    n, c, h, w = x.shape
    c_out, oh, ow = g.out4[1:]
    (dh, dw), (kh, kw) = g.dilation, g.k4[2:]
    span = (oh - 1) * w + ow  # from the first output to the last, flattened
    xf = x.reshape(n, c, h * w)
    Y = np.empty((n, c_out, oh * w), dtype=np.result_type(x, k))
    step = BLOCK if (c, c_out) == (1, 1) else max(CHANNELS_BLOCK // (c + c_out), w)
    product = np.empty((c_out, min(step, span)), dtype=Y.dtype)
    offsets = [(a, b, a * dh * w + b * dw) for a in range(kh) for b in range(kw)]
    for i in range(n):
        for start in range(0, span, step):
            stop = min(start + step, span)
            y, t = Y[i, :, start:stop], product[:, : stop - start]
            for index, (a, b, offset) in enumerate(offsets):
                window, out = xf[i, :, start + offset : stop + offset], t if index else y
                if (c, c_out) == (1, 1):
                    np.multiply(window, k[0, 0, a, b], out=out)
                else:
                    np.matmul(k[:, :, a, b], window, out=out)
                if index:
                    y += t
    return Y.reshape(n, c_out, oh, w)[..., :ow]
