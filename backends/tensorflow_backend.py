"""TensorFlow 2 / Keras 3 backend: the lesson's TF code, differentiated by GradientTape.

Layouts: Keras convolutions take NHWC input and HWIO (h, w, in, out) kernels, so the 4-D
NCHW/OIHW forms of `spec.shapes` are transposed on the way in and out. Keras' Conv2D pads
only "valid" or "same", so explicit padding is a ZeroPadding2D layer in front of it, and it
refuses a stride and a dilation above 1 together, so that case runs at stride 1 and keeps
every stride-th output (the same windows). Keras 3 wraps each weight in a `keras.Variable`;
the `tf.Variable` a GradientTape watches is its `.value`.
"""

import numpy as np
import tensorflow as tf
import keras

from spec.shapes import conv_geometry

name = "tensorflow"

# Bit-identical reruns: TensorFlow picks nondeterministic kernels unless told not to.
tf.config.experimental.enable_op_determinism()


def versions():
    return {"framework": f"tensorflow {tf.__version__}, keras {keras.__version__}"}


def asarray(array):
    return tf.constant(np.array(array))


def to_numpy(tensor):
    return np.asarray(tensor)


def _pad(x4, g):
    """Zero-pad an NCHW tensor by ((top, bottom), (left, right))."""
    return tf.pad(x4, ((0, 0), (0, 0)) + g.padding)


def _corr2d_single(X, K, g):
    """The lesson's corr2d on one padded channel, one element at a time into a tf.Variable."""
    h, w = K.shape
    (sh, sw), (dh, dw) = g.stride, g.dilation
    Y = tf.Variable(tf.zeros(g.out4[2:], dtype=X.dtype))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            window = X[i * sh : i * sh + (h - 1) * dh + 1 : dh, j * sw : j * sw + (w - 1) * dw + 1 : dw]
            Y[i, j].assign(tf.reduce_sum(window * K))
    return tf.convert_to_tensor(Y)


def corr2d_loop(X, K, padding=0, stride=1, dilation=1):
    """The lessons' loops: corr2d per channel, summed over input channels
    (corr2d_multi_in), stacked over output channels (corr2d_multi_in_out) and the batch."""
    g = conv_geometry(X.shape, K.shape, padding, stride, dilation)
    X4, K4 = _pad(tf.reshape(X, g.x4), g), tf.reshape(K, g.k4)
    Y = tf.stack([
        tf.stack([tf.add_n([_corr2d_single(X4[n, c], K4[o, c], g) for c in range(g.x4[1])])
                  for o in range(g.k4[0])])
        for n in range(g.x4[0])
    ])
    return tf.reshape(Y, g.out_shape)


def corr2d(X, K, padding=0, stride=1, dilation=1):
    """Sum over the kernel's offsets (a, b) of the strided input window times K[:, :, a, b]."""
    g = conv_geometry(X.shape, K.shape, padding, stride, dilation)
    x, k = _pad(tf.reshape(X, g.x4), g), tf.reshape(K, g.k4)
    (sh, sw), (dh, dw), (oh, ow) = g.stride, g.dilation, g.out4[2:]
    Y = tf.zeros(g.out4, dtype=X.dtype)
    for a in range(g.k4[2]):
        for b in range(g.k4[3]):
            window = x[:, :, a * dh : a * dh + (oh - 1) * sh + 1 : sh,
                       b * dw : b * dw + (ow - 1) * sw + 1 : sw]
            Y = Y + tf.einsum("nchw,oc->nohw", window, k[:, :, a, b])
    return tf.reshape(Y, g.out_shape)


class BuiltinConv2D(keras.layers.Conv2D):
    """Keras' own Conv2D, taking and giving the case's shapes instead of NHWC."""

    def __init__(self, g, use_bias=True, **kwargs):
        both = max(g.stride) > 1 and max(g.dilation) > 1
        super().__init__(g.k4[0], g.k4[2:], strides=(1, 1) if both else g.stride,
                         dilation_rate=g.dilation, use_bias=use_bias, **kwargs)
        self.geometry, self.subsample = g, g.stride if both else (1, 1)
        self.zero_padding = keras.layers.ZeroPadding2D(g.padding, dtype=self.dtype_policy)

    def call(self, x):
        g = self.geometry
        nhwc = self.zero_padding(tf.transpose(tf.reshape(x, g.x4), (0, 2, 3, 1)))
        y = super().call(nhwc)[:, :: self.subsample[0], :: self.subsample[1], :]
        return tf.reshape(tf.transpose(y, (0, 3, 1, 2)), g.out_shape)

    def set_weights_from(self, K, bias):
        g = self.geometry
        (top, bottom), (left, right) = g.padding
        self.build((None, g.x4[2] + top + bottom, g.x4[3] + left + right, g.x4[1]))
        self.input_spec = None  # call() takes the case's shape, not NHWC
        self.kernel.assign(tf.transpose(tf.reshape(K, self.geometry.k4), (2, 3, 1, 0)))  # OIHW -> HWIO
        if self.use_bias:
            self.bias.assign(bias)

    @property
    def weight(self):
        return self.kernel


def corr2d_builtin(X, K, padding=0, stride=1, dilation=1):
    g = conv_geometry(X.shape, K.shape, padding, stride, dilation)
    layer = BuiltinConv2D(g, use_bias=False, dtype=X.dtype.name)
    layer.set_weights_from(K, None)
    return layer(X)


FORMS = {"fast": corr2d, "builtin": corr2d_builtin, "loop": corr2d_loop}


def conv2d(X, K, padding=0, stride=1, dilation=1, form="fast"):
    return FORMS[form](X, tf.reverse(K, axis=[-2, -1]), padding, stride, dilation)


class Conv2D(keras.layers.Layer):
    """The lesson's Conv2D as a Keras layer, grown to channels, padding, stride, dilation."""

    def __init__(self, kernel_size, padding=0, stride=1, dilation=1, **kwargs):
        super().__init__(**kwargs)
        self.kernel_size = tuple(kernel_size)
        self.geometry = dict(padding=padding, stride=stride, dilation=dilation)

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


def layer_forward(X, weight, bias, padding=0, stride=1, dilation=1, form="fast"):
    geometry = dict(padding=padding, stride=stride, dilation=dilation)
    return _layer(form, X.shape, weight, bias, geometry)(X)


def grad(X, K, bias, G, padding=0, stride=1, dilation=1, form="fast"):
    layer = _layer(form, X.shape, K, bias, dict(padding=padding, stride=stride, dilation=dilation))
    with tf.GradientTape() as tape:
        tape.watch(X)
        y = layer(X) * G
    dX, dK, db = tape.gradient(y, [X, layer.weight.value, layer.bias.value])
    return dX, tf.reshape(dK if form == "fast" else tf.transpose(dK, (3, 2, 0, 1)), K.shape), db


def learn(X, Y, K_init, lr, steps, layer, bias, learn_bias, padding=0, stride=1, dilation=1):
    geometry = dict(padding=padding, stride=stride, dilation=dilation)
    # The lesson's Conv2D(..., use_bias=False) whenever no bias takes part.
    use_bias = learn_bias or bool(np.any(bias))
    form = "builtin" if layer == "builtin" else "fast"
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
