"""The fast path: a BLAS gemm per kernel offset, written once for nd (eagerly) and sym
(hybridized: the compiled path); one channel at stride 1, not recording, over the flattened
input."""

from mxnet import autograd, nd

from convsuite.spec.shapes import DEFAULT, conv_geometry

from .builtin import _pad


def corr2d(X, K, geometry=DEFAULT):
    """Sum over the kernel's offsets (a, b) of the strided input window times K[:, :, a, b]."""
    g = conv_geometry(X.shape, K.shape, geometry)
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
    """The fast path on NCHW `x` and OIHW `k`, in `F` = nd (eagerly) or sym (hybridized):
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
