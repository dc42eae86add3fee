"""The compiled path: the fast path and the whole learning loop as Numba kernels
(backends/numpy/kernels.py), one call per group."""

import functools

import numpy as np

from convsuite.spec.shapes import DEFAULT, conv_geometry

from .builtin import _padded


# Numba is imported on first use, since only this path needs it and other backends'
# environments import this package without it.
def _kernels():
    from . import kernels

    return kernels


# Outputs up to which a compiled kernel runs on one thread: waking the other threads costs
# about 10 us a parallel loop (the 10-step learning loop has 30 of them: 0.28 ms on two
# threads, 0.05 ms on one), about what a second thread saves at 2^14 outputs by 3x3.
PARALLEL_LIMIT = 1 << 14


def _compiled_call(g, kernel, *args):
    return _kernels().call(kernel, g.measure("outputs") > PARALLEL_LIMIT, *args)


def _compiled_input(X, g, dtype):
    """The padded input as the kernels read it, each image flattened, then its layout
    (_layout). At stride 1 that is the padded input as it is; otherwise its columns are split
    into stride phases (phase p holds columns p, p + sw, ...), so that a tap's products along
    an output row still read one contiguous run, the only kind of loop the compiler vectorizes."""
    x = _padded(X.astype(dtype, copy=False), g)
    n, c, h, w = x.shape
    sw = g.stride[1]
    if sw != 1:
        columns = -(-w // sw)  # per phase
        x = np.pad(x, ((0, 0), (0, 0), (0, 0), (0, columns * sw - w)))
        x = x.reshape(n, c, h, columns, sw).transpose(0, 1, 2, 4, 3)
    return (np.ascontiguousarray(x).reshape(n, -1),) + _layout(g)


@functools.lru_cache(maxsize=256)
def _layout(g):
    """Every tap's offset from an output row's start, every output row's start, the rows'
    tap shift and the taps per input channel, for one group's geometry: the same for every
    call of one geometry (0.04 ms of a 0.6 ms call at 1024x1024 by 5x5, so kept; the kernels
    only read them)."""
    (sh, sw), (dh, dw), (c, kh, kw) = g.stride, g.dilation, (g.x4[1],) + g.k4[2:]
    h, w = (size + before + after for size, (before, after) in zip(g.x4[2:], g.padding))
    columns = -(-w // sw)  # per phase
    width = columns * sw  # of one row, its phases side by side
    offsets = np.array([channel * h * width + a * dh * width + (b * dw) % sw * columns + b * dw // sw
                        for channel in range(c) for a in range(kh) for b in range(kw)], dtype=np.int64)
    rows = np.arange(g.out4[2], dtype=np.int64) * sh * width
    # Output row i+1 reads at tap q what row i reads kw taps on (kernels._rows) when the
    # rows' step is the kernel rows' step: the kernels then take rows in pairs.
    shift = kw if g.measure("rows_share_inputs") else 0
    return offsets, rows, shift, kh * kw


def _groups(X, K, g):
    """(input, kernel, geometry, output channels) of each group, as 4-D arrays: the kernels
    take every input channel, so a grouped convolution is one call per group."""
    x4, k4, gi = X.reshape(g.x4), K.reshape(g.k4), g.one_group
    c_in, c_out = gi.x4[1], gi.k4[0]
    for i in range(g.groups):
        yield x4[:, i * c_in : (i + 1) * c_in], k4[i * c_out : (i + 1) * c_out], gi, slice(i * c_out, (i + 1) * c_out)


def corr2d_compiled(X, K, geometry=DEFAULT):
    """The fast path compiled: a Numba kernel, output rows spread over the cores, each row
    summed tap by tap in cache (backends/numpy/kernels.py), one call per group."""
    g = conv_geometry(X.shape, K.shape, geometry)
    dtype = np.result_type(X, K)
    Y = np.empty(g.out4, dtype=dtype)
    for xi, ki, gi, channels in _groups(X, K, g):
        # One group writes Y itself: a copy of the output was 0.2 ms of 0.8 at 1024x1024 by 5x5.
        y = Y if g.groups == 1 else np.empty(gi.out4, dtype=dtype)
        _compiled_call(gi, _kernels().corr2d, *_compiled_input(xi, gi, dtype),
                       np.ascontiguousarray(ki, dtype=dtype).reshape(gi.k4[0], -1), y)
        if y is not Y:
            Y[:, channels] = y
    return Y.reshape(g.out_shape)


def learn_compiled(X, Y, K_init, *, lr, steps, path, bias, learn_bias, geometry=DEFAULT):
    """The same loop with every step in one compiled call: the forward pass, the loss, its
    gradient written out by hand (as Conv2D.backward computes it) and the update. One loop
    for both paths (`path` does not matter): the built-in layer computes the lesson's Conv2D's
    map. Groups learn apart (no output of one depends on another's kernel): one call each,
    their losses added."""
    g = conv_geometry(X.shape, K_init.shape, geometry)
    dtype = np.result_type(X, K_init)
    weights = np.array(K_init, dtype=dtype).reshape(g.k4)
    b = np.zeros(g.k4[0], dtype=dtype)
    b[...] = bias
    losses = np.zeros(steps, dtype=dtype)
    target = np.ascontiguousarray(Y, dtype=dtype).reshape(g.out4)
    for xi, ki, gi, channels in _groups(X, weights, g):
        wi, bi, li = np.ascontiguousarray(ki).reshape(gi.k4[0], -1), b[channels].copy(), np.empty(steps, dtype)
        _compiled_call(gi, _kernels().learn, *_compiled_input(xi, gi, dtype), np.ascontiguousarray(target[:, channels]), wi, bi,
                       dtype.type(lr), learn_bias, li)
        weights[channels], b[channels], losses = wi.reshape(gi.k4), bi, losses + li
    return [float(loss) for loss in losses], weights.reshape(K_init.shape), b
