"""Keras' own Conv2D, taking and giving the case's shapes (the "builtin" path), and the
padding every path of this backend pads with."""

import tensorflow as tf
import keras

from convsuite.spec.shapes import DEFAULT, conv_geometry, padded_indices


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
        x4 = tf.gather(x4, padded_indices(n, (before, after), g.padding_mode), axis=axis)
    return x4


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


def corr2d_builtin(X, K, geometry=DEFAULT):
    g = conv_geometry(X.shape, K.shape, geometry)
    layer = BuiltinConv2D(g, use_bias=False, dtype=X.dtype.name)
    layer.set_weights_from(K, None)
    return layer(X)
