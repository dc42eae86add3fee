"""The fast corr2d: a sum over the kernel's offsets of strided input windows."""

import tensorflow as tf

from convsuite.spec.shapes import DEFAULT, conv_geometry

from .builtin import _pad


def corr2d(X, K, geometry=DEFAULT):
    """Sum over the kernel's offsets (a, b) of the strided input window times K[:, :, a, b]:
    a product per offset (one channel) or a matrix product over the input channels."""
    g = conv_geometry(X.shape, K.shape, geometry)
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
