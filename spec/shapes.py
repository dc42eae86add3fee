"""The output-shape rule and the shapes of a convolution, stated once for every backend.

Along each spatial axis, an input of size n with padding (before, after), a kernel of
size k, dilation d (the kernel's taps are d apart, so it spans d*(k - 1) + 1) and stride s
gives

    out = floor((n + before + after - d*(k - 1) - 1) / s) + 1

which for d = 1 is the lesson's floor((n + before + after - k) / s) + 1.

Padding by name: "valid" is none at all; "same" gives out = ceil(n / s), padding the total
max((out - 1)*s + d*(k - 1) + 1 - n, 0) split as TensorFlow and ONNX's SAME_UPPER split it,
total // 2 before and the rest (the extra row or column, when the total is odd) after:
at the bottom and on the right.

Padding modes fill the padding (`padded_indices` says from where): "zeros" with zeros,
"reflect" with the input mirrored about its first and last element (which are not
repeated: d c b | a b c d | c b a), "replicate" with copies of the edge (a a | a b c d | d d),
"circular" with the input wrapped around (c d | a b c d | a b). Reflect needs padding
smaller than the input on that axis, circular padding no larger than it (one reflection,
one wrap).

Groups: with G groups the C_in input and C_out output channels are split into G blocks in
order, and output channel o sees only the C_in / G input channels of its own block,
o // (C_out / G); K is (C_out, C_in / G, kh, kw), so both channel counts divide by G. G
needs channels (X of rank 3 or 4); G = C_in = C_out is the depthwise convolution.

Ranks: X is (H, W), (C_in, H, W) or (N, C_in, H, W); K is (kh, kw), (C_in, kh, kw) or
(C_out, C_in, kh, kw). The pairings and their outputs:

    X rank 2, K rank 2 -> (H', W')
    X rank 3, K rank 3 -> (H', W')            summed over the input channels
    X rank 3, K rank 4 -> (C_out, H', W')
    X rank 4, K rank 4 -> (N, C_out, H', W')

(with G groups, K's C_in is C_in / G). Every pairing is computed as its 4-D form, NCHW
input and OIHW kernel, and reshaped back.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from collections.abc import Callable, Sequence
from dataclasses import dataclass

# What a Geometry's fields take (checked at run time by conv_geometry, which refuses others).
Padding = int | str | Sequence[int] | Sequence[Sequence[int]]
Pair = int | Sequence[int]
Four = tuple[int, int, int, int]
Sides = tuple[tuple[int, int], tuple[int, int]]

# (X rank, K rank) -> which of (N, C_out, H', W') the output keeps
PAIRINGS = {(2, 2): "hw", (3, 3): "hw", (3, 4): "ohw", (4, 4): "nohw"}
PADDING_NAMES = ("valid", "same")
PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


@dataclass(frozen=True)
class Geometry:
    """How the kernel slides over the input: the five settings that every corr2d form, layer
    and learning loop takes, passed whole. Checked against the shapes by `conv_geometry`:
    padding is 0, (ph, pw), ((top, bottom), (left, right)), "valid" or "same"; stride and
    dilation an int or (height, width); groups an int; padding_mode one of PADDING_MODES."""

    padding: Padding = 0
    stride: Pair = 1
    dilation: Pair = 1
    groups: int = 1
    padding_mode: str = "zeros"


# The geometry of a call that gives none: the lesson's (no padding, stride 1, one group).
DEFAULT = Geometry()


@dataclass(frozen=True)
class ResolvedGeometry:
    """A Geometry checked against an input and a kernel: every shape of the convolution,
    the padding per side, stride and dilation as pairs."""

    x4: Four  # (N, C_in, H, W)
    k4: Four  # (C_out, C_in / groups, kh, kw)
    padding: Sides  # ((top, bottom), (left, right))
    stride: tuple[int, int]  # (sh, sw)
    dilation: tuple[int, int]  # (dh, dw)
    out4: Four  # (N, C_out, H', W')
    out_shape: tuple[int, ...]  # out4 with the axes the pairing drops removed
    groups: int = 1
    padding_mode: str = "zeros"
    padding_name: str | None = None  # "valid" or "same" when the padding was given by name

    @property
    def bias_shape(self) -> tuple[int, ...]:
        """Shape that broadcasts one bias value per output channel over the output."""
        return tuple(self.k4[0] if axis == len(self.out_shape) - 3 else 1
                     for axis in range(len(self.out_shape)))

    @property
    def settings(self) -> Geometry:
        """The Geometry every corr2d form takes (the padding by its name where it was given
        one, so that a backend can use its framework's own "same")."""
        return Geometry(padding=self.padding_name or self.padding, stride=self.stride, dilation=self.dilation,
                        groups=self.groups, padding_mode=self.padding_mode)

    @property
    def group_slices(self) -> list[tuple[slice, slice]]:
        """(input channels, output channels) of each group, as slices of C_in and C_out:
        one pair, every channel, when G = 1."""
        per_in, per_out = self.x4[1] // self.groups, self.k4[0] // self.groups
        return [(slice(i * per_in, (i + 1) * per_in), slice(i * per_out, (i + 1) * per_out))
                for i in range(self.groups)]

    def input_channels(self, o: int) -> slice:
        """The slice of input channels that output channel o sees (its group's)."""
        return self.group_slices[o // (self.k4[0] // self.groups)][0]

    @property
    def one_group(self) -> ResolvedGeometry:
        """The geometry of one group alone, in 4-D (NCHW in, NCHW out): a backend that
        computes group by group computes this one G times."""
        n, c_in, h, w = self.x4
        c_out = self.k4[0] // self.groups
        out4 = (n, c_out) + self.out4[2:]
        return dataclasses.replace(self, x4=(n, c_in // self.groups, h, w), k4=(c_out,) + self.k4[1:],
                                   out4=out4, out_shape=out4, groups=1)

    def tap_window(self, a: int, b: int) -> tuple[slice, slice, slice, slice]:
        """The NCHW slices of the padded input that kernel tap (a, b) reads at every output:
        rows a*dh, a*dh + sh, ..., one per output row (and the same along the columns)."""
        (sh, sw), (dh, dw), (oh, ow) = self.stride, self.dilation, self.out4[2:]
        return (slice(None), slice(None), slice(a * dh, a * dh + (oh - 1) * sh + 1, sh),
                slice(b * dw, b * dw + (ow - 1) * sw + 1, sw))

    def output_window(self, i: int, j: int) -> tuple[slice, slice]:
        """The (rows, columns) slices of one padded channel that output (i, j) reads: the
        lesson's X[i:i + h, j:j + w], strided and dilated."""
        (sh, sw), (dh, dw), (kh, kw) = self.stride, self.dilation, self.k4[2:]
        return (slice(i * sh, i * sh + (kh - 1) * dh + 1, dh),
                slice(j * sw, j * sw + (kw - 1) * dw + 1, dw))

    def measure(self, name: str) -> int:
        """One of MEASURES: the sizes at which a backend's code may change form."""
        return MEASURES[name](self)

    @property
    def symmetric_padding(self) -> tuple[int, int] | None:
        """(ph, pw) when top == bottom and left == right, else None."""
        (top, bottom), (left, right) = self.padding
        return (top, left) if top == bottom and left == right else None


def _flat_span(g: ResolvedGeometry) -> int:
    """Stride 1, flattened: from the first output to the last, one image of the padded input
    read as rows of its padded width (the flat form's output, wrapped columns included)."""
    (top, bottom), (left, right) = g.padding
    (oh, ow), width = g.out4[2:], g.x4[3] + left + right
    return (oh - 1) * width + ow


# name -> a size of a convolution, for backends to declare the thresholds at which their
# code changes form (`backends.contract`: "thresholds"), and for tests to find the cases
# on each side of them.
MEASURES: dict[str, Callable[[ResolvedGeometry], int]] = {
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
    # 1: output row i+1 reads what row i reads one kernel row on (rows' step = kernel rows' step)
    "rows_share_inputs": lambda g: int(g.stride[0] == g.dilation[0] and g.k4[2] > 1),
}


def _pair(value: object, name: str, minimum: int) -> tuple[int, int]:
    """An int or a pair of ints, each >= minimum."""
    pair = (value, value) if not isinstance(value, (list, tuple)) else tuple(value)
    if len(pair) != 2:
        raise ValueError(f"{name} takes 2 values (height, width), got {value!r}")
    checked = []
    for item in pair:
        if not isinstance(item, numbers.Integral) or isinstance(item, bool):
            raise TypeError(f"{name} must hold integers, got {value!r}")
        if int(item) < minimum:
            raise ValueError(f"{name} must be >= {minimum}, got {value!r}")
        checked.append(int(item))
    return checked[0], checked[1]


def normalize_padding(padding: object) -> Sides:
    """0, [ph, pw] (each side) or [[top, bottom], [left, right]] -> ((t, b), (l, r))."""
    if isinstance(padding, str):
        raise ValueError(f"padding by name is one of {PADDING_NAMES}, got {padding!r}")
    if isinstance(padding, (list, tuple)) and any(isinstance(p, (list, tuple)) for p in padding):
        if len(padding) != 2:
            raise ValueError(f"padding takes [[top, bottom], [left, right]], got {padding!r}")
        return _pair(padding[0], "padding", 0), _pair(padding[1], "padding", 0)
    ph, pw = _pair(padding, "padding", 0)
    return ((ph, ph), (pw, pw))


def output_size(n: int, k: int, *, padding: tuple[int, int], stride: int, dilation: int) -> int:
    before, after = padding
    span = dilation * (k - 1) + 1
    padded = n + before + after
    if span > padded:
        raise ValueError(
            f"the kernel spans {span} (size {k}, dilation {dilation}) but the padded "
            f"input is only {padded}: no window fits"
        )
    return (padded - span) // stride + 1


def same_padding(n: int, k: int, *, stride: int, dilation: int) -> tuple[int, int]:
    """(before, after) of "same" along one axis: out = ceil(n / stride), the extra one after."""
    out = math.ceil(n / stride)
    total = max((out - 1) * stride + dilation * (k - 1) + 1 - n, 0)
    return (total // 2, total - total // 2)


def _named_padding(name: str, x4: Four, k4: Four, *, stride: tuple[int, int], dilation: tuple[int, int]) -> Sides:
    if name == "valid":
        return ((0, 0), (0, 0))
    return (same_padding(x4[2], k4[2], stride=stride[0], dilation=dilation[0]),
            same_padding(x4[3], k4[3], stride=stride[1], dilation=dilation[1]))


def padded_indices(n: int, padding: tuple[int, int], mode: str) -> list[int | None]:
    """Where each of the n + before + after positions of an axis of n, padded by (before,
    after), reads the input from: an index into the n inputs, or None for a zero. Only "zeros"
    allows any padding; the others are defined for the padding `check_padding_mode` allows."""
    before, after = padding
    positions = range(-before, n + after)
    if mode == "zeros":
        return [i if 0 <= i < n else None for i in positions]
    if mode == "reflect":  # mirrored about the first and the last element
        return [-i if i < 0 else 2 * (n - 1) - i if i >= n else i for i in positions]
    if mode == "replicate":
        return [min(max(i, 0), n - 1) for i in positions]
    if mode == "circular":
        return [i % n for i in positions]
    raise ValueError(f"padding_mode must be one of {PADDING_MODES}, got {mode!r}")


def check_padding_mode(mode: object, sizes: tuple[int, int], padding: Sides) -> str:
    """The padding mode, if the padding fits it: reflect needs padding smaller than the
    input along that axis, circular padding no larger."""
    if not isinstance(mode, str) or mode not in PADDING_MODES:
        raise ValueError(f"padding_mode must be one of {PADDING_MODES}, got {mode!r}")
    for axis, n, (before, after) in zip(("height", "width"), sizes, padding):
        if mode == "reflect" and max(before, after) >= n:
            raise ValueError(f"reflect padding must be smaller than the input: padding {(before, after)} "
                             f"along the {axis}, which is {n}")
        if mode == "circular" and max(before, after) > n:
            raise ValueError(f"circular padding must be no larger than the input: padding {(before, after)} "
                             f"along the {axis}, which is {n}")
    return mode


def _groups(groups: object, x_rank: int, *, c_in: int, c_out: int) -> int:
    if not isinstance(groups, numbers.Integral) or isinstance(groups, bool):
        raise TypeError(f"groups must be an integer, got {groups!r}")
    count = int(groups)
    if count < 1:
        raise ValueError(f"groups must be >= 1, got {groups!r}")
    if count > 1 and x_rank == 2:
        raise ValueError(f"groups need channels: an input of rank 3 or 4, not 2 (groups {groups})")
    for what, channels in (("input", c_in), ("output", c_out)):
        if channels % count:
            raise ValueError(f"groups must divide the {what} channels: {channels} {what} channels, {groups} groups")
    return count


def _four(shape: tuple[int, ...]) -> Four:
    """A shape of rank 2 to 4 in its 4-D form, ones in front."""
    n, c, h, w = (1,) * (4 - len(shape)) + shape
    return n, c, h, w


def conv_geometry(x_shape: Sequence[int], k_shape: Sequence[int], geometry: Geometry = DEFAULT) -> ResolvedGeometry:
    """Validate the shapes and the Geometry of a convolution: its ResolvedGeometry."""
    if not isinstance(geometry, Geometry):
        raise TypeError(f"a convolution's geometry is a spec.shapes.Geometry, got {type(geometry).__name__}")
    x_shape, k_shape = tuple(x_shape), tuple(k_shape)
    pairing = PAIRINGS.get((len(x_shape), len(k_shape)))
    if pairing is None:
        raise ValueError(
            f"cannot pair an input of rank {len(x_shape)} {x_shape} with a kernel of rank "
            f"{len(k_shape)} {k_shape}; pairings (X, K): {sorted(PAIRINGS)}"
        )
    if 0 in x_shape or 0 in k_shape:
        raise ValueError(f"empty input or kernel: shapes {x_shape} and {k_shape}")
    x4, k4 = _four(x_shape), _four(k_shape)
    groups = _groups(geometry.groups, len(x_shape), c_in=x4[1], c_out=k4[0])
    if x4[1] != k4[1] * groups:
        per_group = f" ({k4[1]} in each of {groups} groups)" if groups > 1 else ""
        raise ValueError(f"the input has {x4[1]} channels but the kernel expects {k4[1] * groups}{per_group}")
    stride, dilation = _pair(geometry.stride, "stride", 1), _pair(geometry.dilation, "dilation", 1)
    given = geometry.padding
    name = given if isinstance(given, str) and given in PADDING_NAMES else None
    padding = _named_padding(name, x4, k4, stride=stride, dilation=dilation) if name else normalize_padding(given)
    padding_mode = check_padding_mode(geometry.padding_mode, (x4[2], x4[3]), padding)
    out4 = (x4[0], k4[0], output_size(x4[2], k4[2], padding=padding[0], stride=stride[0], dilation=dilation[0]),
            output_size(x4[3], k4[3], padding=padding[1], stride=stride[1], dilation=dilation[1]))
    out_shape = tuple(size for size, axis in zip(out4, "nohw") if axis in pairing)
    return ResolvedGeometry(x4, k4, padding, stride, dilation, out4, out_shape, groups, padding_mode, name)

