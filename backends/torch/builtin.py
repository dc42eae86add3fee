"""torch's own nn.Conv2d, taking the case's shapes, and the padding it cannot do itself
(F.pad, which the loops and the fast path pad with too)."""

import torch
import torch.nn.functional as F
from torch import nn

from convsuite.spec.shapes import DEFAULT, conv_geometry

# The padding modes as F.pad calls them (nn.Conv2d's padding_mode takes the spec's names).
_PAD_MODES = {"zeros": "constant", "reflect": "reflect", "replicate": "replicate", "circular": "circular"}


def _pad(x4, g):
    """Pad an NCHW tensor by ((top, bottom), (left, right)) in the geometry's padding mode
    (no copy when all are 0)."""
    if not any(map(any, g.padding)):
        return x4
    (top, bottom), (left, right) = g.padding
    return F.pad(x4, (left, right, top, bottom), mode=_PAD_MODES[g.padding_mode])


class BuiltinConv2D(nn.Conv2d):
    """torch's own nn.Conv2d, taking and giving the case's shapes instead of NCHW."""

    def __init__(self, g, bias=True):
        symmetric = g.symmetric_padding
        # torch's own "valid" and "same" (which splits as the spec does, but refuses stride > 1)
        named = g.padding_name == "valid" or (g.padding_name == "same" and g.stride == (1, 1))
        super().__init__(g.x4[1], g.k4[0], g.k4[2:], stride=g.stride, dilation=g.dilation,
                         padding=g.padding_name if named else symmetric or 0, groups=g.groups,
                         padding_mode=g.padding_mode, bias=bias)
        self.geometry, self.pads_first = g, not named and symmetric is None

    def forward(self, x):
        x4 = x.reshape(self.geometry.x4)
        if self.pads_first:
            x4 = _pad(x4, self.geometry)
        return super().forward(x4).reshape(self.geometry.out_shape)


def corr2d_builtin(X, K, geometry=DEFAULT):
    g = conv_geometry(X.shape, K.shape, geometry)
    layer = BuiltinConv2D(g, bias=False).to(X.dtype)
    with torch.no_grad():
        layer.weight.copy_(K.reshape(g.k4))
    return layer(X)
