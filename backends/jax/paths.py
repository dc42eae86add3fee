"""Every path by name, and true convolution on any of them."""

from functools import partial

import jax
import jax.numpy as jnp

from convsuite.spec.shapes import DEFAULT, conv_geometry

from .builtin import corr2d_builtin
from .compiled import corr2d_compiled
from .fast import corr2d
from .loop import corr2d_loop

PATHS = {"fast": corr2d, "builtin": corr2d_builtin, "loop": corr2d_loop, "compiled": corr2d_compiled}


def conv2d(X, K, geometry=DEFAULT, *, path="fast"):
    if path == "loop":  # the lesson's code, op by op
        return PATHS[path](X, jnp.flip(K, axis=(-2, -1)), geometry)
    g = conv_geometry(X.shape, K.shape, geometry)
    return _conv2d(X, K, corr2d_path=PATHS[path], g=g)  # by function: the compiled path is the fast one


@partial(jax.jit, static_argnames=("corr2d_path", "g"))  # the flip in the path's program: op by op, it was one more
def _conv2d(X, K, *, corr2d_path, g):
    return corr2d_path(X, jnp.flip(K, axis=(-2, -1)), g.settings)
