"""flax's own nn.Conv, taking and giving the case's shapes (the "builtin" path), and the
padding and weight layout every path of this backend shares."""

import dataclasses
from functools import partial

import jax
import jax.numpy as jnp
from flax import linen as nn

from convsuite.spec.shapes import DEFAULT, ResolvedGeometry, conv_geometry

# The padding modes as jnp.pad (NumPy's np.pad) calls them.
_PAD_MODES = {"zeros": "constant", "reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def _pad(x4, g):
    """Pad an NCHW array by ((top, bottom), (left, right)) in the geometry's padding mode."""
    return jnp.pad(x4, ((0, 0), (0, 0)) + g.padding, mode=_PAD_MODES[g.padding_mode])


def _oihw_to_hwio(K4):
    return jnp.transpose(K4, (2, 3, 1, 0))


class BuiltinConv2D(nn.Conv):
    """flax's own nn.Conv, taking and giving the case's shapes instead of NHWC; its
    parameters are {"kernel": HWIO, "bias": (C_out,)}."""

    # kw_only: nn.Conv's own fields have defaults, so a new field may not follow them.
    geometry: ResolvedGeometry = dataclasses.field(default=None, kw_only=True)

    @classmethod
    def of(cls, g, use_bias=True):
        return cls(features=g.k4[0], kernel_size=g.k4[2:], strides=g.stride, padding=_flax_padding(g),
                   kernel_dilation=g.dilation, feature_group_count=g.groups, use_bias=use_bias, geometry=g)

    def __call__(self, x):
        g = self.geometry
        x4 = x.reshape(g.x4)
        if self.padding == "VALID":  # padded here, with zeros that take part in the products
            x4 = _pad(x4, g)
        y = super().__call__(jnp.transpose(x4, (0, 2, 3, 1)))  # -> NHWC
        return jnp.transpose(y, (0, 3, 1, 2)).reshape(g.out_shape)


def _flax_padding(g):
    """nn.Conv's own "CIRCULAR" or "REFLECT" where it pads as the geometry does (the dilated
    kernel's span less 1, the extra one after, whatever the stride), else "VALID"."""
    spans = [(k - 1) * d + 1 for k, d in zip(g.k4[2:], g.dilation)]
    if g.padding_mode in ("circular", "reflect") and g.padding == tuple(((s - 1) // 2, s // 2) for s in spans):
        return g.padding_mode.upper()
    return "VALID"


def corr2d_builtin(X, K, geometry=DEFAULT):
    g = conv_geometry(X.shape, K.shape, geometry)
    return _builtin(BuiltinConv2D.of(g, use_bias=False), K, X)


@partial(jax.jit, static_argnums=0)  # one program, as _apply: not a transpose, a reshape, a pad and a conv
def _builtin(layer, K, X):
    return layer.apply({"params": {"kernel": _oihw_to_hwio(K.reshape(layer.geometry.k4))}}, X)
