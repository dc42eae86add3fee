"""The built-in path: Gluon's own nn.Conv2D, and the padding every path shares (the layer
pads symmetrically and with zeros only; the rest is padded first)."""

from mxnet.gluon import nn

from convsuite.spec.shapes import DEFAULT, conv_geometry

# The padding modes as `pad` calls them; it has no circular mode.
_PAD_MODES = {"zeros": "constant", "reflect": "reflect", "replicate": "edge"}


def _pad(x4, g):
    """Pad an NCHW array (nd or sym: fluent methods only) by ((top, bottom), (left, right))
    in the geometry's padding mode."""
    (top, bottom), (left, right) = g.padding
    if g.padding_mode == "circular":  # three copies side by side, cut to the wrapped-around rows and columns
        h, w = g.x4[2:]
        rows = x4.tile(reps=(1, 1, 3, 1)).slice_axis(axis=2, begin=h - top, end=2 * h + bottom)
        return rows.tile(reps=(1, 1, 1, 3)).slice_axis(axis=3, begin=w - left, end=2 * w + right)
    return x4.pad(mode=_PAD_MODES[g.padding_mode], pad_width=(0, 0, 0, 0, top, bottom, left, right))


class BuiltinConv2D(nn.Conv2D):
    """Gluon's own nn.Conv2D, taking and giving the case's shapes instead of NCHW."""

    def __init__(self, g, use_bias=True):
        symmetric = g.symmetric_padding
        # the layer pads with zeros, the same on both sides
        own = symmetric is not None and (g.padding_mode == "zeros" or symmetric == (0, 0))
        super().__init__(g.k4[0], kernel_size=g.k4[2:], strides=g.stride, dilation=g.dilation,
                         padding=symmetric if own else (0, 0), groups=g.groups, in_channels=g.x4[1],
                         use_bias=use_bias)
        self.geometry, self.pads_first = g, not own

    def forward(self, x):
        x4 = x.reshape(self.geometry.x4)
        if self.pads_first:
            x4 = _pad(x4, self.geometry)
        return super().forward(x4).reshape(self.geometry.out_shape)


def _initialized(layer, weight, bias):
    """A layer (Gluon's, or the lesson's) with these parameters, in their dtype."""
    layer.initialize()
    layer.cast(weight.dtype)
    layer.weight.set_data(weight.reshape(layer.weight.shape))
    if layer.bias is not None:
        layer.bias.set_data(bias)
    return layer


def corr2d_builtin(X, K, geometry=DEFAULT):
    g = conv_geometry(X.shape, K.shape, geometry)
    return _initialized(BuiltinConv2D(g, use_bias=False), K, None)(X)
