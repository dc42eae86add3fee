"""TensorFlow 2 / Keras 3 backend: the lesson's TF code, differentiated by GradientTape.

Layouts: Keras convolutions take NHWC input and HWIO (h, w, in, out) kernels, so the 4-D
NCHW/OIHW forms of `spec.shapes` are transposed on the way in and out. Keras' Conv2D pads
only "valid" or "same", so explicit padding is a ZeroPadding2D layer in front of it, and it
refuses a stride and a dilation above 1 together, so that case runs at stride 1 and keeps
every stride-th output (the same windows). Keras 3 wraps each weight in a `keras.Variable`;
the `tf.Variable` a GradientTape watches is its `.value`.

The compiled path (`corr2d_compiled`, `learn_compiled`) is `tf.function(jit_compile=True)`:
XLA fuses the fast form into one loop, and runs the whole learning loop in one call. That
loop is as fast as JAX's (the same XLA): 1024x1024 by 5x5 alone in a loop 0.63-0.83 ms
against JAX's 0.64-0.70 (three interleaved pairs of processes), though a call costs more
itself, 0.11-0.20 ms at 6x8 by 1x1 against JAX's 0.019 (measured, not taken apart).
"""

import logging
import os

from convsuite.backends.common import cache_folder

# XLA keeps what tf.function(jit_compile=True) compiles in a user cache folder (issue 15's
# "compile once"): the compiled path of the built-in cases took 35 s here with an empty
# cache and 13 s with a full one. Read at the first compile; the caller's TF_XLA_FLAGS are kept.
# Its key holds the function's name, `__inference_<name>_<uid>`, uid a process-wide counter
# (and the names of a while loop's body and condition likewise): a rerun that makes the same
# functions in the same order hits, as the harness' runs do; another order misses and adds
# entries. Tracing is left either way: 8.5 s of the compiled path's 14 s (under cProfile), every entry hit.
os.environ["TF_XLA_FLAGS"] = " ".join(filter(None, [
    os.environ.get("TF_XLA_FLAGS"), f"--tf_xla_persistent_cache_directory={cache_folder('tf-xla')}"]))

import numpy as np  # noqa: E402 (after the flag)
import tensorflow as tf  # noqa: E402
import keras  # noqa: E402

from convsuite.spec.shapes import conv_geometry, padded_indices
from convsuite.backends.tensorflow.tensors import asarray, seed, to_numpy, versions  # noqa: E402,F401 (check's sandbox uses them alone)

name = "tensorflow"


# Bit-identical reruns: TensorFlow picks nondeterministic kernels unless told not to.
tf.config.experimental.enable_op_determinism()


class _NotRetracingWarnings(logging.Filter):
    """Keras 3 compiles every grouped convolution as a new XLA function, one per call, and
    TensorFlow warns, after a few, that it retraces: by design here, so kept out of the logs."""

    def filter(self, record):
        return "triggered tf.function retracing" not in record.getMessage()


tf.get_logger().addFilter(_NotRetracingWarnings())


def _pad(x4, g):
    """Pad an NCHW tensor by ((top, bottom), (left, right)) in the geometry's padding mode
    (no copy when all are 0). tf.pad has zeros and reflect; its SYMMETRIC repeats the edge
    and then mirrors, which is replicate only for padding 1, so replicate and circular
    gather the rows and columns spec.shapes says each padded position copies."""
    if not any(map(any, g.padding)):
        return x4
    if g.padding_mode in ("zeros", "reflect"):
        return tf.pad(x4, ((0, 0), (0, 0)) + g.padding, mode="CONSTANT" if g.padding_mode == "zeros" else "REFLECT")
    for axis, n, (before, after) in zip((2, 3), g.x4[2:], g.padding):
        x4 = tf.gather(x4, padded_indices(n, before, after, g.padding_mode), axis=axis)
    return x4


def _corr2d_single(X, K, g):
    """The lesson's corr2d on one padded channel, one element at a time into a tf.Variable."""
    Y = tf.Variable(tf.zeros(g.out4[2:], dtype=X.dtype))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            window = X[g.output_window(i, j)]
            Y[i, j].assign(tf.reduce_sum(window * K))
    return tf.convert_to_tensor(Y)


def corr2d_loop(X, K, padding=0, stride=1, dilation=1, groups=1, padding_mode="zeros"):
    """The lessons' loops: corr2d per channel, summed over input channels
    (corr2d_multi_in), stacked over output channels (corr2d_multi_in_out) and the batch;
    each output channel sums over its group's input channels only."""
    g = conv_geometry(X.shape, K.shape, padding, stride, dilation, groups, padding_mode)
    X4, K4 = _pad(tf.reshape(X, g.x4), g), tf.reshape(K, g.k4)
    Y = tf.stack([
        tf.stack([tf.add_n([_corr2d_single(X4[n, g.input_channels(o).start + c], K4[o, c], g)
                            for c in range(g.k4[1])])
                  for o in range(g.k4[0])])
        for n in range(g.x4[0])
    ])
    return tf.reshape(Y, g.out_shape)


def corr2d(X, K, padding=0, stride=1, dilation=1, groups=1, padding_mode="zeros"):
    """Sum over the kernel's offsets (a, b) of the strided input window times K[:, :, a, b]:
    a product per offset (one channel) or a matrix product over the input channels."""
    g = conv_geometry(X.shape, K.shape, padding, stride, dilation, groups, padding_mode)
    x, k = _pad(tf.reshape(X, g.x4), g), tf.reshape(K, g.k4)
    if g.groups == 1:
        return tf.reshape(_corr2d_padded(x, k, g), g.out_shape)
    # group by group, each on its own input channels; their output channels side by side
    parts = [_corr2d_padded(x[:, inputs], k[outputs], g.one_group) for inputs, outputs in g.group_slices]
    return tf.reshape(tf.concat(parts, axis=1), g.out_shape)


def _corr2d_padded(x, k, g):
    """One group's (N, C_out, H', W') output from its padded NCHW input and OIHW kernel."""
    Y = None
    for a in range(g.k4[2]):
        for b in range(g.k4[3]):
            window = x[g.tap_window(a, b)]
            if g.k4[:2] == (1, 1):
                term = window * k[0, 0, a, b]
            else:
                term = tf.einsum("nchw,oc->nohw", window, k[:, :, a, b])
            Y = term if Y is None else Y + term
    return Y


# Compiled functions by what they compute and the shapes, dtype and geometry they take:
# XLA compiles once per key, and later calls reuse the program. Each is kept as the concrete
# function of its one signature, which skips tf.function's signature matching on every call.
_COMPILED = {}


def _compiled(key, build, *args):
    if key not in _COMPILED:
        _COMPILED[key] = build().get_concrete_function(*args)
    return _COMPILED[key](*args)


def corr2d_compiled(X, K, padding=0, stride=1, dilation=1, groups=1, padding_mode="zeros"):
    """The fast form compiled by XLA (`tf.function(jit_compile=True)`): the offsets' products
    and sums fuse into one loop over the output, with no window ever stored."""
    g = conv_geometry(X.shape, K.shape, padding, stride, dilation, groups, padding_mode)  # bad input raises here
    key = ("corr2d", tuple(X.shape), tuple(K.shape), X.dtype.name, g)
    return _compiled(key, lambda: tf.function(lambda X, K: corr2d(X, K, **g.arguments),
                                              jit_compile=True, autograph=False), X, K)


class BuiltinConv2D(keras.layers.Conv2D):
    """Keras' own Conv2D, taking and giving the case's shapes instead of NHWC."""

    def __init__(self, g, use_bias=True, **kwargs):
        both = max(g.stride) > 1 and max(g.dilation) > 1
        # Keras' own "same" splits as the spec does; at stride 1 (for stride with dilation) it would pad less
        self.own_same = g.padding_name == "same" and g.padding_mode == "zeros" and not both
        super().__init__(g.k4[0], g.k4[2:], strides=(1, 1) if both else g.stride, dilation_rate=g.dilation,
                         padding="same" if self.own_same else "valid", groups=g.groups, use_bias=use_bias,
                         **kwargs)
        self.geometry, self.subsample = g, g.stride if both else (1, 1)
        zeros = g.padding if g.padding_mode == "zeros" and not self.own_same else ((0, 0), (0, 0))
        self.zero_padding = keras.layers.ZeroPadding2D(zeros, dtype=self.dtype_policy)

    def call(self, x):
        g = self.geometry
        x4 = tf.reshape(x, g.x4)
        if g.padding_mode != "zeros":  # Keras has no padding modes
            x4 = _pad(x4, g)
        nhwc = self.zero_padding(tf.transpose(x4, (0, 2, 3, 1)))
        y = super().call(nhwc)[:, :: self.subsample[0], :: self.subsample[1], :]
        return tf.reshape(tf.transpose(y, (0, 3, 1, 2)), g.out_shape)

    def set_weights_from(self, K, bias):
        g = self.geometry
        (top, bottom), (left, right) = ((0, 0), (0, 0)) if self.own_same else g.padding
        self.build((None, g.x4[2] + top + bottom, g.x4[3] + left + right, g.x4[1]))  # the input it sees
        self.input_spec = None  # call() takes the case's shape, not NHWC
        self.kernel.assign(tf.transpose(tf.reshape(K, self.geometry.k4), (2, 3, 1, 0)))  # OIHW -> HWIO
        if self.use_bias:
            self.bias.assign(bias)

    @property
    def weight(self):
        return self.kernel


def corr2d_builtin(X, K, padding=0, stride=1, dilation=1, groups=1, padding_mode="zeros"):
    g = conv_geometry(X.shape, K.shape, padding, stride, dilation, groups, padding_mode)
    layer = BuiltinConv2D(g, use_bias=False, dtype=X.dtype.name)
    layer.set_weights_from(K, None)
    return layer(X)


FORMS = {"fast": corr2d, "builtin": corr2d_builtin, "loop": corr2d_loop, "compiled": corr2d_compiled}


def conv2d(X, K, padding=0, stride=1, dilation=1, groups=1, padding_mode="zeros", form="fast"):
    return FORMS[form](X, tf.reverse(K, axis=[-2, -1]), padding, stride, dilation, groups, padding_mode)


class Conv2D(keras.layers.Layer):
    """The lesson's Conv2D as a Keras layer, grown to channels, padding, stride, dilation,
    groups and padding modes."""

    def __init__(self, kernel_size, padding=0, stride=1, dilation=1, groups=1, padding_mode="zeros", **kwargs):
        super().__init__(**kwargs)
        self.kernel_size = tuple(kernel_size)
        self.geometry = dict(padding=padding, stride=stride, dilation=dilation, groups=groups,
                             padding_mode=padding_mode)

    def build(self, input_shape):
        channels = self.kernel_size[0] if len(self.kernel_size) == 4 else 1
        self.weight = self.add_weight(name="weight", shape=self.kernel_size, initializer="random_uniform")
        self.bias = self.add_weight(name="bias", shape=(channels,), initializer="zeros")

    def set_weights_from(self, K, bias):
        self.build(None)
        self.weight.assign(K)
        self.bias.assign(bias)

    def call(self, x):
        g = conv_geometry(x.shape, self.kernel_size, **self.geometry)
        y = corr2d(x, self.weight.value, **self.geometry)
        return y + tf.reshape(self.bias.value, g.bias_shape)


def _layer(form, x_shape, weight, bias, geometry, use_bias=True):
    """The custom Conv2D ("fast") or Keras' own Conv2D, with these parameters."""
    dtype = weight.dtype.name
    if form == "builtin":
        layer = BuiltinConv2D(conv_geometry(x_shape, weight.shape, **geometry), use_bias, dtype=dtype)
    else:
        layer = Conv2D(weight.shape, **geometry, dtype=dtype)
    layer.set_weights_from(weight, bias)
    return layer


def layer_forward(X, weight, bias, padding=0, stride=1, dilation=1, groups=1, padding_mode="zeros", form="fast"):
    geometry = dict(padding=padding, stride=stride, dilation=dilation, groups=groups,
                    padding_mode=padding_mode)
    return _layer(form, X.shape, weight, bias, geometry)(X)


def grad(X, K, bias, G, padding=0, stride=1, dilation=1, groups=1, padding_mode="zeros", form="fast"):
    geometry = dict(padding=padding, stride=stride, dilation=dilation, groups=groups,
                    padding_mode=padding_mode)
    layer = _layer(form, X.shape, K, bias, geometry)
    with tf.GradientTape() as tape:
        tape.watch(X)
        y = layer(X) * G
    dX, dK, db = tape.gradient(y, [X, layer.weight.value, layer.bias.value])
    return dX, tf.reshape(dK if form == "fast" else tf.transpose(dK, (3, 2, 0, 1)), K.shape), db


def learn(X, Y, K_init, lr, steps, form, bias, learn_bias, padding=0, stride=1, dilation=1, groups=1,
          padding_mode="zeros"):
    geometry = dict(padding=padding, stride=stride, dilation=dilation, groups=groups,
                    padding_mode=padding_mode)
    # The lesson's Conv2D(..., use_bias=False) whenever no bias takes part.
    use_bias = learn_bias or bool(np.any(bias))
    net = _layer(form, X.shape, K_init, bias, geometry, use_bias)
    learned = [net.weight] + ([net.bias] if learn_bias else [])
    losses = []
    for _ in range(steps):
        with tf.GradientTape(watch_accessed_variables=False) as tape:
            for variable in learned:
                tape.watch(variable.value)
            Y_hat = net(X)
            l = (Y_hat - Y) ** 2
        grads = tape.gradient(l, [variable.value for variable in learned])  # sums a non-scalar l
        losses.append(float(tf.reduce_sum(l)))
        for variable, gradient in zip(learned, grads):
            variable.assign_sub(lr * gradient)
    weight = net.weight.value
    if form == "builtin":
        weight = tf.transpose(weight, (3, 2, 0, 1))  # HWIO -> OIHW
    final_bias = net.bias.value if use_bias else bias
    return losses, tf.reshape(weight, K_init.shape), final_bias


def learn_compiled(X, Y, K_init, lr, steps, form, bias, learn_bias, padding=0, stride=1, dilation=1, groups=1,
                   padding_mode="zeros"):
    """The same loop with its step compiled by XLA: the layer is built once per shape and
    geometry, and one compiled call sets the initial weights and runs every step (a while
    loop around the step), so Python and TensorFlow's per-call dispatch run once, not per step."""
    geometry = dict(padding=padding, stride=stride, dilation=dilation, groups=groups,
                    padding_mode=padding_mode)
    use_bias = learn_bias or bool(np.any(bias))
    g = conv_geometry(X.shape, K_init.shape, **geometry)
    key = ("learn", form, tuple(X.shape), tuple(K_init.shape), X.dtype.name, g, use_bias, learn_bias, lr, steps)
    net = lambda: _layer(form, X.shape, K_init, bias, geometry, use_bias)
    losses, weight, final_bias = _compiled(key, lambda: _train_function(net(), form, learn_bias, lr, steps),
                                           X, Y, K_init, bias)
    return list(losses.numpy()), weight, final_bias if use_bias else bias


def _train_function(net, form, learn_bias, lr, steps):
    learned = [net.weight] + ([net.bias] if learn_bias else [])
    has_bias = form == "fast" or net.use_bias  # the custom Conv2D always holds a bias
    # Keras' grouped Conv2D is an XLA function of its own, and a dilated one computes its
    # space-to-batch shapes inside it: in the gradient within a while loop they are no longer
    # compile-time constants (InvalidArgumentError, "SpaceToBatchND must be a compile-time
    # constant"). Those steps are unrolled in Python instead (the fuzzer found it).
    unrolled = form == "builtin" and net.geometry.groups > 1 and max(net.geometry.dilation) > 1

    @tf.function(jit_compile=True)
    def train(X, Y, K_init, bias):
        if form == "builtin":  # OIHW -> HWIO
            net.kernel.assign(tf.transpose(tf.reshape(K_init, net.geometry.k4), (2, 3, 1, 0)))
        else:
            net.weight.assign(K_init)
        if has_bias:
            net.bias.assign(bias)
        losses = tf.TensorArray(X.dtype, size=steps)
        for step in range(steps) if unrolled else tf.range(steps):
            with tf.GradientTape(watch_accessed_variables=False) as tape:
                for variable in learned:
                    tape.watch(variable.value)
                l = (net(X) - Y) ** 2
            grads = tape.gradient(l, [variable.value for variable in learned])
            losses = losses.write(step, tf.reduce_sum(l))
            for variable, gradient in zip(learned, grads):
                variable.assign_sub(lr * gradient)
        weight = net.weight.value
        if form == "builtin":
            weight = tf.transpose(weight, (3, 2, 0, 1))  # HWIO -> OIHW
        return losses.stack(), tf.reshape(weight, K_init.shape), net.bias.value if has_bias else bias

    return train


def bare_loop(X, Y, K, lr, steps):
    """The lesson's loop bare, as a call: keras Conv2D without bias (the bench's yardstick)."""
    X, Y = tf.constant(X[None, :, :, None]), tf.constant(Y[None, :, :, None])

    def run():
        conv2d = tf.keras.layers.Conv2D(1, K.shape, use_bias=False)
        conv2d.build(X.shape)
        conv2d.kernel.assign(K[:, :, None, None])
        losses = []
        for _ in range(steps):
            with tf.GradientTape(watch_accessed_variables=False) as g:
                g.watch(conv2d.kernel.value)
                Y_hat = conv2d(X)
                l = (abs(Y_hat - Y)) ** 2
            update = tf.multiply(lr, g.gradient(l, conv2d.kernel.value))
            losses.append(float(tf.reduce_sum(l)))
            conv2d.kernel.assign_sub(update)
        return losses
    return run
