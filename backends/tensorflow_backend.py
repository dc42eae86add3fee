"""TensorFlow 2 / Keras 3 backend: the lesson's TF code, differentiated by GradientTape.

Layouts: Keras convolutions take input as NHWC and kernels as HWIO (h, w, in, out).
Keras 3 wraps each weight in a `keras.Variable`; the `tf.Variable` that a GradientTape
watches is its `.value` (Keras 2's `tape.watch(layer.weights[0])` no longer works).
"""

import numpy as np
import tensorflow as tf
import keras

from spec.shapes import corr2d_output_shape

name = "tensorflow"


def versions():
    return {"framework": f"tensorflow {tf.__version__}, keras {keras.__version__}"}


def asarray(array):
    return tf.constant(np.array(array))


def to_numpy(tensor):
    return np.asarray(tensor)


def corr2d_loop(X, K):
    """The lesson's corr2d: one window at a time, written into a tf.Variable."""
    h, w = K.shape
    Y = tf.Variable(tf.zeros(corr2d_output_shape(X.shape, K.shape), dtype=X.dtype))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j].assign(tf.reduce_sum(X[i : i + h, j : j + w] * K))
    return tf.convert_to_tensor(Y)


def corr2d(X, K):
    """Sum over the kernel's offsets of K[a, b] times the shifted input; tape-friendly."""
    oh, ow = corr2d_output_shape(X.shape, K.shape)
    Y = tf.zeros((oh, ow), dtype=X.dtype)
    for a in range(K.shape[0]):
        for b in range(K.shape[1]):
            Y = Y + K[a, b] * X[a : a + oh, b : b + ow]
    return Y


def conv2d(X, K):
    return corr2d(X, tf.reverse(K, axis=[0, 1]))


class Conv2D(keras.layers.Layer):
    """The lesson's Conv2D as a Keras layer."""

    def __init__(self, kernel_size, **kwargs):
        super().__init__(**kwargs)
        self.kernel_size = tuple(kernel_size)

    def build(self, input_shape):
        self.weight = self.add_weight(
            name="weight", shape=self.kernel_size, initializer="random_uniform"
        )
        self.bias = self.add_weight(name="bias", shape=(1,), initializer="zeros")

    def call(self, x):
        return corr2d(x, self.weight.value) + self.bias.value


def layer_forward(X, weight, bias):
    layer = Conv2D(weight.shape, dtype=X.dtype.name)
    layer.build(X.shape)
    layer.weight.assign(weight)
    layer.bias.assign([bias])
    return layer(X)


def _builtin_layer(K_init, input_shape):
    """keras Conv2D with one filter, its HWIO kernel set to K_init."""
    conv = keras.layers.Conv2D(
        1, tuple(K_init.shape), use_bias=False, dtype=K_init.dtype.name
    )
    conv.build(input_shape)
    conv.kernel.assign(tf.reshape(K_init, (*K_init.shape, 1, 1)))
    return conv, conv.kernel


def learn(X, Y, K_init, lr, steps, layer):
    if layer == "builtin":
        # A single image with a single channel: (H, W) -> NHWC (1, H, W, 1).
        X, Y = tf.reshape(X, (1, *X.shape, 1)), tf.reshape(Y, (1, *Y.shape, 1))
        conv, weight = _builtin_layer(K_init, X.shape)
    else:
        conv = Conv2D(K_init.shape, dtype=K_init.dtype.name)
        conv.build(X.shape)
        conv.weight.assign(K_init)
        weight = conv.weight
    losses = []
    for _ in range(steps):
        with tf.GradientTape(watch_accessed_variables=False) as tape:
            tape.watch(weight.value)
            Y_hat = conv(X)
            l = (Y_hat - Y) ** 2
        dK = tape.gradient(l, weight.value)  # a non-scalar target: the tape sums it
        losses.append(float(tf.reduce_sum(l)))
        weight.assign_sub(lr * dK)  # the lesson learns no bias
    return losses, tf.reshape(weight.value, K_init.shape)
