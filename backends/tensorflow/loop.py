"""The lesson's loops: corr2d one element at a time, summed and stacked over the channels."""

import tensorflow as tf

from convsuite.spec.shapes import DEFAULT, conv_geometry

from .builtin import _pad


def _corr2d_single(X, K, g):
    """The lesson's corr2d on one padded channel, one element at a time into a tf.Variable."""
    Y = tf.Variable(tf.zeros(g.out4[2:], dtype=X.dtype))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            window = X[g.output_window(i, j)]
            Y[i, j].assign(tf.reduce_sum(window * K))
    return tf.convert_to_tensor(Y)


def corr2d_loop(X, K, geometry=DEFAULT):
    """The lessons' loops: corr2d per channel, summed over input channels
    (corr2d_multi_in), stacked over output channels (corr2d_multi_in_out) and the batch;
    each output channel sums over its group's input channels only."""
    g = conv_geometry(X.shape, K.shape, geometry)
    X4, K4 = _pad(tf.reshape(X, g.x4), g), tf.reshape(K, g.k4)
    Y = tf.stack([
        tf.stack([tf.add_n([_corr2d_single(X4[n, g.input_channels(o).start + c], K4[o, c], g)
                            for c in range(g.k4[1])])
                  for o in range(g.k4[0])])
        for n in range(g.x4[0])
    ])
    return tf.reshape(Y, g.out_shape)
