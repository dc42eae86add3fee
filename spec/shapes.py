"""The output-shape rule and the shapes of a convolution, stated once for every backend.

Along each spatial axis, an input of size n with zero padding (before, after), a kernel of
size k, dilation d (the kernel's taps are d apart, so it spans d*(k - 1) + 1) and stride s
gives

    out = floor((n + before + after - d*(k - 1) - 1) / s) + 1

which for d = 1 is the lesson's floor((n + before + after - k) / s) + 1.

Ranks: X is (H, W), (C_in, H, W) or (N, C_in, H, W); K is (kh, kw), (C_in, kh, kw) or
(C_out, C_in, kh, kw). The pairings and their outputs:

    X rank 2, K rank 2 -> (H', W')
    X rank 3, K rank 3 -> (H', W')            summed over the input channels
    X rank 3, K rank 4 -> (C_out, H', W')
    X rank 4, K rank 4 -> (N, C_out, H', W')

Every pairing is computed as its 4-D form, NCHW input and OIHW kernel, and reshaped back.
"""

import numbers
from dataclasses import dataclass

# (X rank, K rank) -> which of (N, C_out, H', W') the output keeps
PAIRINGS = {(2, 2): "hw", (3, 3): "hw", (3, 4): "ohw", (4, 4): "nohw"}


@dataclass(frozen=True)
class Geometry:
    x4: tuple  # (N, C_in, H, W)
    k4: tuple  # (C_out, C_in, kh, kw)
    padding: tuple  # ((top, bottom), (left, right))
    stride: tuple  # (sh, sw)
    dilation: tuple  # (dh, dw)
    out4: tuple  # (N, C_out, H', W')
    out_shape: tuple  # out4 with the axes the pairing drops removed

    @property
    def bias_shape(self):
        """Shape that broadcasts one bias value per output channel over the output."""
        return tuple(self.k4[0] if axis == len(self.out_shape) - 3 else 1
                     for axis in range(len(self.out_shape)))

    @property
    def arguments(self):
        """padding=, stride=, dilation= as every corr2d form takes them."""
        return {"padding": self.padding, "stride": self.stride, "dilation": self.dilation}

    def tap_window(self, a, b):
        """The NCHW slices of the padded input that kernel tap (a, b) reads at every output:
        rows a*dh, a*dh + sh, ..., one per output row (and the same along the columns)."""
        (sh, sw), (dh, dw), (oh, ow) = self.stride, self.dilation, self.out4[2:]
        return (slice(None), slice(None), slice(a * dh, a * dh + (oh - 1) * sh + 1, sh),
                slice(b * dw, b * dw + (ow - 1) * sw + 1, sw))

    def output_window(self, i, j):
        """The (rows, columns) slices of one padded channel that output (i, j) reads: the
        lesson's X[i:i + h, j:j + w], strided and dilated."""
        (sh, sw), (dh, dw), (kh, kw) = self.stride, self.dilation, self.k4[2:]
        return (slice(i * sh, i * sh + (kh - 1) * dh + 1, dh),
                slice(j * sw, j * sw + (kw - 1) * dw + 1, dw))

    def measure(self, name):
        """One of MEASURES: the sizes at which a backend's code may change form."""
        return MEASURES[name](self)

    @property
    def symmetric_padding(self):
        """(ph, pw) when top == bottom and left == right, else None."""
        (top, bottom), (left, right) = self.padding
        return (top, left) if top == bottom and left == right else None


def _flat_span(g):
    """Stride 1, flattened: from the first output to the last, one image of the padded input
    read as rows of its padded width (the flat form's output, wrapped columns included)."""
    (top, bottom), (left, right) = g.padding
    (oh, ow), width = g.out4[2:], g.x4[3] + left + right
    return (oh - 1) * width + ow


# name -> a size of a convolution, for backends to declare the thresholds at which their
# code changes form (`backends.contract`: "thresholds"), and for tests to find the cases
# on each side of them.
MEASURES = {
    "stride": lambda g: max(g.stride),  # 1: every window, the flat form's condition
    "dilation": lambda g: max(g.dilation),
    "stride_and_dilation": lambda g: min(max(g.stride), max(g.dilation)),  # both above 1
    "padding": lambda g: sum(map(sum, g.padding)),  # 0: the input as it is, no pad op
    "padding_asymmetry": lambda g: sum(abs(before - after) for before, after in g.padding),
    "batch": lambda g: g.x4[0],
    "channel_pairs": lambda g: g.k4[0] * g.k4[1],  # 1: one channel in and out
    "outputs": lambda g: g.out4[0] * g.out4[1] * g.out4[2] * g.out4[3],
    "flat_span": _flat_span,
    "flat_span_by_channels": lambda g: _flat_span(g) * (g.k4[0] + g.k4[1]),
}


def _pair(value, name, minimum):
    """An int or a pair of ints, each >= minimum."""
    pair = (value, value) if not isinstance(value, (list, tuple)) else tuple(value)
    if len(pair) != 2:
        raise ValueError(f"{name} takes 2 values (height, width), got {value!r}")
    for item in pair:
        if not isinstance(item, numbers.Integral) or isinstance(item, bool):
            raise TypeError(f"{name} must hold integers, got {value!r}")
        if item < minimum:
            raise ValueError(f"{name} must be >= {minimum}, got {value!r}")
    return tuple(int(item) for item in pair)


def normalize_padding(padding):
    """0, [ph, pw] (each side) or [[top, bottom], [left, right]] -> ((t, b), (l, r))."""
    if isinstance(padding, (list, tuple)) and any(isinstance(p, (list, tuple)) for p in padding):
        if len(padding) != 2:
            raise ValueError(f"padding takes [[top, bottom], [left, right]], got {padding!r}")
        return tuple(_pair(side, "padding", 0) for side in padding)
    ph, pw = _pair(padding, "padding", 0)
    return ((ph, ph), (pw, pw))


def output_size(n, k, before, after, stride, dilation):
    span = dilation * (k - 1) + 1
    padded = n + before + after
    if span > padded:
        raise ValueError(
            f"the kernel spans {span} (size {k}, dilation {dilation}) but the padded "
            f"input is only {padded}: no window fits"
        )
    return (padded - span) // stride + 1


def conv_geometry(x_shape, k_shape, padding=0, stride=1, dilation=1):
    """Validate the shapes and parameters of a convolution; its 4-D and output shapes."""
    x_shape, k_shape = tuple(x_shape), tuple(k_shape)
    pairing = PAIRINGS.get((len(x_shape), len(k_shape)))
    if pairing is None:
        raise ValueError(
            f"cannot pair an input of rank {len(x_shape)} {x_shape} with a kernel of rank "
            f"{len(k_shape)} {k_shape}; pairings (X, K): {sorted(PAIRINGS)}"
        )
    if 0 in x_shape or 0 in k_shape:
        raise ValueError(f"empty input or kernel: shapes {x_shape} and {k_shape}")
    x4 = (1,) * (4 - len(x_shape)) + x_shape
    k4 = (1,) * (4 - len(k_shape)) + k_shape
    if x4[1] != k4[1]:
        raise ValueError(f"the input has {x4[1]} channels but the kernel expects {k4[1]}")
    padding = normalize_padding(padding)
    stride, dilation = _pair(stride, "stride", 1), _pair(dilation, "dilation", 1)
    out_hw = tuple(
        output_size(x4[2 + axis], k4[2 + axis], *padding[axis], stride[axis], dilation[axis])
        for axis in range(2)
    )
    out4 = (x4[0], k4[0]) + out_hw
    out_shape = tuple(size for size, axis in zip(out4, "nohw") if axis in pairing)
    return Geometry(x4, k4, padding, stride, dilation, out4, out_shape)

