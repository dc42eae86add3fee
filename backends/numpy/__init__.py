"""NumPy backend: the lesson in plain NumPy, computing in the case's dtype.

NumPy has no autograd and no conv layer, so both are written here: the fast path sums the
kernel's offsets over strided views of the input (its backward goes offset by offset too,
adding each offset's gradient back onto its window), and the "built-in" path is im2col and
one matrix product, the way frameworks without a direct convolution kernel compute it.
"""

import functools

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from convsuite.spec.shapes import conv_geometry, padded_indices
from convsuite.backends.numpy.tensors import asarray, to_numpy, versions  # noqa: E402,F401 (check's sandbox uses them alone)

name = "numpy"


# The padding modes as np.pad calls them.
_PAD_MODES = {"zeros": "constant", "reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def _padded(X, g):
    if not any(map(any, g.padding)):
        return X.reshape(g.x4)  # a view: np.pad would copy even with nothing to add
    return np.pad(X.reshape(g.x4), ((0, 0), (0, 0)) + g.padding, mode=_PAD_MODES[g.padding_mode])


def _unpadded(dx, g):
    """The input's gradient from the padded input's: the border cropped off (zeros), or added
    onto the elements it copies (the other modes), axis by axis."""
    if g.padding_mode == "zeros":
        (top, bottom), (left, right) = g.padding
        return dx[:, :, top : dx.shape[2] - bottom, left : dx.shape[3] - right]
    for axis, n, (before, after) in zip((2, 3), g.x4[2:], g.padding):
        gathered = np.zeros(dx.shape[:axis] + (n,) + dx.shape[axis + 1 :], dtype=dx.dtype)
        np.add.at(gathered, (slice(None),) * axis + (padded_indices(n, before, after, g.padding_mode),), dx)
        dx = gathered
    return dx


def _corr2d_single(X, K, g):
    """The lesson's corr2d on one padded channel, one output element at a time."""
    Y = np.zeros(g.out4[2:], dtype=X.dtype)
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
    X4, K4 = _padded(X, g), K.reshape(g.k4)
    Y = np.stack([
        np.stack([sum(_corr2d_single(x, k, g) for x, k in zip(X4[n, g.input_channels(o)], K4[o]))
                  for o in range(g.k4[0])])
        for n in range(g.x4[0])
    ])
    return Y.reshape(g.out_shape)


# Output elements per block of the stride-1 form: a block of Y and the input it reads stay
# in the core's cache while every kernel offset is added into it. With channels each offset
# is a matrix product, which blocks for the cache itself; fewer, larger products thread better.
BLOCK, CHANNELS_BLOCK = 1 << 15, 1 << 20


def corr2d(X, K, padding=0, stride=1, dilation=1, groups=1, padding_mode="zeros"):
    """Sum over the kernel's offsets of the strided input window times K[:, :, a, b],
    accumulated in place: the windows stay views (gathering them would take kh*kw copies
    of the input)."""
    return _corr2d(X, K, conv_geometry(X.shape, K.shape, padding, stride, dilation, groups, padding_mode))


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


def _im2col(X, g):
    """The (G, N*H'*W', (C/G)*kh*kw) matrices of windows, one per group, from a strided view
    copied once."""
    (sh, sw), (dh, dw), (c, kh, kw) = g.stride, g.dilation, (g.x4[1],) + g.k4[2:]
    span = ((kh - 1) * dh + 1, (kw - 1) * dw + 1)
    view = sliding_window_view(_padded(X, g), span, axis=(2, 3))[:, :, ::sh, ::sw, ::dh, ::dw]
    rows = view.transpose(0, 2, 3, 1, 4, 5).reshape(-1, c * kh * kw)
    return rows.reshape(rows.shape[0], g.groups, -1).transpose(1, 0, 2)


def _grouped_kernel(K, g):
    """The OIHW kernel as (G, C_out/G, (C/G)*kh*kw): each group's output channels' rows."""
    return K.reshape(g.groups, g.k4[0] // g.groups, -1)


def _nchw(rows, g):
    """(G, N*H'*W', C_out/G) product rows back to (N, C_out, H', W')."""
    n, c_out, oh, ow = g.out4
    return rows.transpose(1, 0, 2).reshape(n, oh, ow, c_out).transpose(0, 3, 1, 2)


def corr2d_builtin(X, K, padding=0, stride=1, dilation=1, groups=1, padding_mode="zeros"):
    g = conv_geometry(X.shape, K.shape, padding, stride, dilation, groups, padding_mode)
    rows = _im2col(X, g) @ _grouped_kernel(K, g).transpose(0, 2, 1)
    return _nchw(rows, g).reshape(g.out_shape)


FORMS = {"fast": corr2d, "builtin": corr2d_builtin, "loop": corr2d_loop}


def conv2d(X, K, padding=0, stride=1, dilation=1, groups=1, padding_mode="zeros", form="fast"):
    return FORMS[form](X, np.flip(K, axis=(-2, -1)), padding, stride, dilation, groups, padding_mode)


class Conv2D:
    """The lesson's Conv2D layer, with the backward pass NumPy cannot derive for us."""

    def __init__(self, kernel_size, padding=0, stride=1, dilation=1, groups=1, padding_mode="zeros",
                 dtype="float32", seed=None):
        rng = np.random.default_rng(seed)
        self.weight = rng.uniform(size=kernel_size).astype(dtype)
        self.bias = np.zeros(kernel_size[0] if len(kernel_size) == 4 else 1, dtype=dtype)
        self.geometry = dict(padding=padding, stride=stride, dilation=dilation, groups=groups,
                             padding_mode=padding_mode)
        # Whether backward() returns dX: autograd skips the gradient of an input that needs
        # none, and so does this layer when the loop only learns the kernel.
        self.input_grad = True

    def _geometry(self, x):
        if getattr(self, "_shapes", None) != (x.shape, self.weight.shape):  # computed once per shape
            self._shapes = (x.shape, self.weight.shape)
            self._g = conv_geometry(x.shape, self.weight.shape, **self.geometry)
        return self._g

    def _corr2d(self, x):
        return _corr2d(x, self.weight, self._geometry(x))

    def forward(self, x):
        self._x = x
        return self._corr2d(x) + self.bias.reshape(self._geometry(x).bias_shape)

    __call__ = forward

    def backward(self, grad_y):
        """Store weight and bias gradients of sum(grad_y * y); return the input gradient.
        Offset by offset, as forward: dK[:, :, a, b] contracts G with the window offset (a, b)
        read, and G times K[:, :, a, b] is added back onto that window of dX; group by group,
        each group's output channels with its own input channels."""
        g = self._geometry(self._x)
        G, x, k = grad_y.reshape(g.out4), _padded(self._x, g), self.weight.reshape(g.k4)
        dk = np.empty(g.k4, dtype=np.result_type(G, x))
        dx = np.zeros(x.shape, dtype=grad_y.dtype) if self.input_grad else None
        for inputs, outputs in g.group_slices:
            for a in range(g.k4[2]):
                for b in range(g.k4[3]):
                    window = g.tap_window(a, b)
                    dk[outputs, :, a, b] = np.einsum("nohw,nchw->oc", G[:, outputs], x[:, inputs][window])
                    if dx is not None:
                        dx[:, inputs][window] += np.einsum("nohw,oc->nchw", G[:, outputs], k[outputs, :, a, b])
        self.weight_grad = dk.reshape(self.weight.shape)
        self.bias_grad = G.sum(axis=(0, 2, 3))
        return None if dx is None else _unpadded(dx, g).reshape(self._x.shape)


class BuiltinConv2D(Conv2D):
    """The same layer computed as im2col and matrix products (one per group), forward and
    backward."""

    def _corr2d(self, x):
        g = self._geometry(x)
        self._columns = _im2col(x, g)  # kept for the backward pass, as frameworks keep them
        return _nchw(self._columns @ _grouped_kernel(self.weight, g).transpose(0, 2, 1), g).reshape(g.out_shape)

    def backward(self, grad_y):
        g = self._geometry(self._x)
        n, c_out, oh, ow = g.out4
        G4 = grad_y.reshape(g.out4)
        G = G4.transpose(0, 2, 3, 1).reshape(-1, g.groups, c_out // g.groups).transpose(1, 0, 2)
        kernel = _grouped_kernel(self.weight, g)
        self.weight_grad = (G.transpose(0, 2, 1) @ self._columns).reshape(self.weight.shape)
        self.bias_grad = G4.sum(axis=(0, 2, 3))
        if not self.input_grad:
            return None
        columns = (G @ kernel).transpose(1, 0, 2).reshape(n, oh, ow, g.x4[1], *g.k4[2:]).transpose(0, 3, 1, 2, 4, 5)
        dx = np.zeros(g.x4[:2] + _padded(self._x, g).shape[2:], dtype=grad_y.dtype)
        for a in range(g.k4[2]):  # col2im: each column back to its window
            for b in range(g.k4[3]):
                dx[g.tap_window(a, b)] += columns[..., a, b]
        return _unpadded(dx, g).reshape(self._x.shape)


def _layer(form, weight, bias, geometry):
    layer = (BuiltinConv2D if form == "builtin" else Conv2D)(weight.shape, **geometry, dtype=weight.dtype)
    layer.weight[...] = weight
    layer.bias[...] = bias
    return layer


def layer_forward(X, weight, bias, padding=0, stride=1, dilation=1, groups=1, padding_mode="zeros", form="fast"):
    geometry = dict(padding=padding, stride=stride, dilation=dilation, groups=groups, padding_mode=padding_mode)
    return _layer(form, weight, bias, geometry)(X)


def grad(X, K, bias, G, padding=0, stride=1, dilation=1, groups=1, padding_mode="zeros", form="fast"):
    geometry = dict(padding=padding, stride=stride, dilation=dilation, groups=groups, padding_mode=padding_mode)
    layer = _layer(form, K, bias, geometry)
    layer(X)
    dX = layer.backward(G)
    return dX, layer.weight_grad, layer.bias_grad


def learn(X, Y, K_init, lr, steps, form, bias, learn_bias, padding=0, stride=1, dilation=1, groups=1,
          padding_mode="zeros"):
    geometry = dict(padding=padding, stride=stride, dilation=dilation, groups=groups, padding_mode=padding_mode)
    net = _layer(form, K_init, bias, geometry)
    net.input_grad = False  # X is data: only the kernel (and bias) learn
    losses = []
    for _ in range(steps):
        residual = net(X) - Y
        losses.append(float(np.sum(residual**2)))
        net.backward(2 * residual)
        net.weight -= lr * net.weight_grad
        if learn_bias:
            net.bias -= lr * net.bias_grad
    return losses, net.weight, net.bias


def bare_loop(X, Y, K, lr, steps):
    """The lesson's loop bare, as a call (the bench's yardstick). NumPy has no layer and no
    autograd: the windows, their product and its gradient."""

    def run():
        k, losses = K.copy(), []
        for _ in range(steps):  # each step reads X again, as a layer's forward pass does
            windows = sliding_window_view(X, K.shape)
            residual = np.einsum("ijab,ab->ij", windows, k) - Y
            losses.append(float(np.sum(residual**2)))
            k -= lr * np.einsum("ijab,ij->ab", windows, 2 * residual)
        return losses
    return run


# The compiled path: Numba (backends/numba_kernels.py), imported on first use, since only
# this path needs it and other backends' environments import this module without it.
def _kernels():
    from convsuite.backends.numpy import kernels as numba_kernels

    return numba_kernels


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
    # Output row i+1 reads at tap q what row i reads kw taps on (numba_kernels._rows) when
    # the rows' step is the kernel rows' step: the kernels then take rows in pairs.
    shift = kw if g.measure("rows_share_inputs") else 0
    return offsets, rows, shift, kh * kw


def _groups(X, K, g):
    """(input, kernel, geometry, output channels) of each group, as 4-D arrays: the kernels
    take every input channel, so a grouped convolution is one call per group."""
    x4, k4, gi = X.reshape(g.x4), K.reshape(g.k4), g.one_group
    c_in, c_out = gi.x4[1], gi.k4[0]
    for i in range(g.groups):
        yield x4[:, i * c_in : (i + 1) * c_in], k4[i * c_out : (i + 1) * c_out], gi, slice(i * c_out, (i + 1) * c_out)


def corr2d_compiled(X, K, padding=0, stride=1, dilation=1, groups=1, padding_mode="zeros"):
    """The fast form compiled: a Numba kernel, output rows spread over the cores, each row
    summed tap by tap in cache (backends/numba_kernels.py), one call per group."""
    g = conv_geometry(X.shape, K.shape, padding, stride, dilation, groups, padding_mode)
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


FORMS["compiled"] = corr2d_compiled


def learn_compiled(X, Y, K_init, lr, steps, form, bias, learn_bias, padding=0, stride=1, dilation=1, groups=1,
                   padding_mode="zeros"):
    """The same loop with every step in one compiled call: the forward pass, the loss, its
    gradient written out by hand (as Conv2D.backward computes it) and the update. One loop
    for both forms: the built-in layer computes the lesson's Conv2D's map. Groups learn
    apart (no output of one depends on another's kernel): one call each, their losses added."""
    g = conv_geometry(X.shape, K_init.shape, padding, stride, dilation, groups, padding_mode)
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
