"""The lesson's Conv2D as a Keras layer, its forward pass and gradients, and the learning
loop, on the custom layer ("fast") or Keras' own ("builtin")."""

import numpy as np
import tensorflow as tf
import keras

from convsuite.spec.shapes import DEFAULT, conv_geometry

from .builtin import BuiltinConv2D
from .fast import corr2d


class Conv2D(keras.layers.Layer):
    """The lesson's Conv2D as a Keras layer, grown to channels and a Geometry (padding,
    stride, dilation, groups and padding modes)."""

    def __init__(self, kernel_size, geometry=DEFAULT, **kwargs):
        super().__init__(**kwargs)
        self.kernel_size = tuple(kernel_size)
        self.geometry = geometry

    def build(self, input_shape):
        channels = self.kernel_size[0] if len(self.kernel_size) == 4 else 1
        self.weight = self.add_weight(name="weight", shape=self.kernel_size, initializer="random_uniform")
        self.bias = self.add_weight(name="bias", shape=(channels,), initializer="zeros")

    def set_weights_from(self, K, bias):
        self.build(None)
        self.weight.assign(K)
        self.bias.assign(bias)

    def call(self, x):
        g = conv_geometry(x.shape, self.kernel_size, self.geometry)
        y = corr2d(x, self.weight.value, self.geometry)
        return y + tf.reshape(self.bias.value, g.bias_shape)


def _layer(path, x_shape, weight, *, bias, geometry, use_bias=True):
    """The custom Conv2D ("fast") or Keras' own Conv2D ("builtin"), with these parameters."""
    dtype = weight.dtype.name
    if path == "builtin":
        layer = BuiltinConv2D(conv_geometry(x_shape, weight.shape, geometry), use_bias, dtype=dtype)
    else:
        layer = Conv2D(weight.shape, geometry, dtype=dtype)
    layer.set_weights_from(weight, bias)
    return layer


def layer_forward(X, weight, bias, *, geometry=DEFAULT, path="fast"):
    return _layer(path, X.shape, weight, bias=bias, geometry=geometry)(X)


def grad(X, K, bias, *, G, geometry=DEFAULT, path="fast"):
    layer = _layer(path, X.shape, K, bias=bias, geometry=geometry)
    with tf.GradientTape() as tape:
        tape.watch(X)
        y = layer(X) * G
    dX, dK, db = tape.gradient(y, [X, layer.weight.value, layer.bias.value])
    return dX, tf.reshape(dK if path == "fast" else tf.transpose(dK, (3, 2, 0, 1)), K.shape), db


def _uses_bias(bias, learn_bias):
    """The lesson's Conv2D(..., use_bias=False) whenever no bias takes part."""
    return learn_bias or bool(np.any(bias))


def learn(X, Y, K_init, *, lr, steps, path, bias, learn_bias, geometry=DEFAULT):
    use_bias = _uses_bias(bias, learn_bias)
    net = _layer(path, X.shape, K_init, bias=bias, geometry=geometry, use_bias=use_bias)
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
    if path == "builtin":
        weight = tf.transpose(weight, (3, 2, 0, 1))  # HWIO -> OIHW
    final_bias = net.bias.value if use_bias else bias
    return losses, tf.reshape(weight, K_init.shape), final_bias


def bare_loop(X, Y, K, *, lr, steps):
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
