"""Paddle's own nn.Conv2D, taking the case's shapes, and the padding it cannot do itself
(F.pad, which the loops and the fast path pad with too)."""

import paddle.nn.functional as F
from paddle import nn

from convsuite.spec.shapes import DEFAULT, conv_geometry

# The padding modes as F.pad calls them (nn.Conv2D's padding_mode takes the spec's names).
_PAD_MODES = {"zeros": "constant", "reflect": "reflect", "replicate": "replicate", "circular": "circular"}


def _pad(x4, g):
    """Pad an NCHW tensor by ((top, bottom), (left, right)) in the geometry's padding mode
    (no copy when all are 0)."""
    if not any(map(any, g.padding)):
        return x4
    (top, bottom), (left, right) = g.padding
    return F.pad(x4, [left, right, top, bottom], mode=_PAD_MODES[g.padding_mode])


def _layer_padding(g):
    """nn.Conv2D's padding= and padding_mode= for the geometry, and whether F.pad pads first."""
    (top, bottom), (left, right) = g.padding
    if g.padding_name == "valid":
        return "VALID", "zeros", False
    if g.padding_name == "same" and g.padding_mode == "zeros" and g.dilation == (1, 1):
        return "SAME", "zeros", False  # its "SAME" would drop a dilation
    if g.padding_mode == "zeros":
        return [top, bottom, left, right], "zeros", False
    if top == bottom == left == right:  # its padding modes take one padding for all sides
        return top, g.padding_mode, False
    return 0, "zeros", True


class BuiltinConv2D(nn.Conv2D):
    """Paddle's own nn.Conv2D, taking and giving the case's shapes instead of NCHW."""

    def __init__(self, g, bias=True):
        padding, padding_mode, self.pads_first = _layer_padding(g)
        super().__init__(g.x4[1], g.k4[0], g.k4[2:], stride=g.stride, dilation=g.dilation, padding=padding,
                         groups=g.groups, padding_mode=padding_mode, bias_attr=None if bias else False)
        self.geometry = g

    def forward(self, x):
        x4 = x.reshape(self.geometry.x4)
        if self.pads_first:
            x4 = _pad(x4, self.geometry)
        return super().forward(x4).reshape(self.geometry.out_shape)


def corr2d_builtin(X, K, geometry=DEFAULT):
    g = conv_geometry(X.shape, K.shape, geometry)
    layer = BuiltinConv2D(g, bias=False)
    layer.to(dtype=X.dtype)
    layer.weight.set_value(K.reshape(g.k4))
    return layer(X)
