"""The fast corr2d: a sum over the kernel's offsets of strided input windows, one jitted
program per geometry."""

from functools import partial

import jax
import jax.numpy as jnp

from convsuite.spec.shapes import DEFAULT, conv_geometry

from .builtin import _pad


def corr2d(X, K, geometry=DEFAULT):
    """Sum over the kernel's offsets (a, b) of the strided input window times K[:, :, a, b]."""
    return _corr2d(X, K, conv_geometry(X.shape, K.shape, geometry))


# Compiled once per geometry (static: a ResolvedGeometry is hashable). Run op by op, each
# offset's window is a slice with its own static bounds, which XLA would compile separately.
@partial(jax.jit, static_argnums=2)
def _corr2d(X, K, g):
    x, k = _pad(X.reshape(g.x4), g), K.reshape(g.k4)
    if g.groups == 1:
        return _corr2d_padded(x, k, g).reshape(g.out_shape)
    # group by group, each on its own input channels; their output channels side by side
    parts = [_corr2d_padded(x[:, inputs], k[outputs], g.one_group) for inputs, outputs in g.group_slices]
    return jnp.concatenate(parts, axis=1).reshape(g.out_shape)


def _corr2d_padded(x, k, g):
    """One group's (N, C_out, H', W') output from its padded NCHW input and OIHW kernel: a
    product per offset (one channel) or a matrix product over the input channels. (Tracing
    an einsum took about 1 ms: 44% of tracing a one-channel 3x3 corr2d, 11 ms.)"""
    Y = None
    for a in range(g.k4[2]):
        for b in range(g.k4[3]):
            window = x[g.tap_window(a, b)]
            if g.k4[:2] == (1, 1):
                term = window * k[0, 0, a, b]
            else:
                term = jnp.einsum("nchw,oc->nohw", window, k[:, :, a, b])
            Y = term if Y is None else Y + term
    return Y
