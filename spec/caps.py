"""The caps on a case: how much work and memory one case may ask of the harness.

A case file and a results file are input: whoever wrote them may ask for a learning loop of
10**12 steps, a padding that allocates gigabytes, or a compressed array that inflates past
them. A case beyond a cap is refused before any work is done, naming the case and the cap;
a results field beyond one is refused before it is inflated. Every cap is far above every
built-in case (the biggest are in spec/cases/large.json), so that no honest case meets it.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from convsuite.spec.shapes import ResolvedGeometry

# Elements of any one array a case gives or makes: X, K, weight, G, Y, K_init, bias, an
# expect field, the padded input and the output. The biggest built-in array is X of
# large-corr2d-channels, 1,045,440 elements (its output: 553,536 at most); 2**22 is four
# times that, 32 MiB in float64, so a case and the backends' few copies of it stay in a GiB.
ELEMENTS = 2**22

# Steps of a learn case. The built-in learn cases take 10 at most; a learning curve of 1000
# shows anything a loop can show, and every step costs a forward and a backward pass.
STEPS = 1000

# Padding on one side of one axis, given by number or resulting from "same". The built-in
# cases pad 7 at most; 64 is nine times that and pads any lesson-sized input many times over.
PADDING = 64

# Multiply-adds of the whole case (a forward pass; a gradient counts two, a learning step
# three). The biggest built-in case takes 9.3 million; 2**30 (over a hundred times that) is
# about a second of the float64 reference, which `compare` runs for every case. Without it,
# arrays within ELEMENTS could still ask for 10**12 multiply-adds (a 1024 x 1024 kernel
# over a 2048 x 2048 input).
MULTIPLY_ADDS = 2**30

# Bytes of one array once inflated: a compact array of a results file (`zlib_base64`), or a
# generated array of a case file. ELEMENTS float64 numbers: the largest array a case within
# the caps makes. A compressed array is inflated only up to this, so a 1.5 MB zlib bomb
# costs 32 MiB, not its 3 GiB.
INFLATED_BYTES = ELEMENTS * 8

# Levels of nesting of any value in a case: an array has rank 4 at most (rank 5 is an error
# case). Python's JSON reader and the harness's recursive readers stop at the recursion
# limit (about 1000 levels) with a RecursionError; this refuses a deeper value by name.
NESTING = 32


class PastCap(ValueError):
    """A case (or a results field) beyond one of the caps above: the message names the cap."""


def elements(name: str, count: int) -> None:
    """Refuse an array of `count` elements past ELEMENTS."""
    if count > ELEMENTS:
        raise PastCap(f"{name} has {count:,} elements, past the cap of {ELEMENTS:,} (spec/caps.py: ELEMENTS)")


def inflated(name: str, nbytes: int) -> None:
    """Refuse an array of `nbytes` bytes, once inflated, past INFLATED_BYTES."""
    if nbytes > INFLATED_BYTES:
        raise PastCap(f"{name} inflates to {nbytes:,} bytes, past the cap of {INFLATED_BYTES:,} "
                      "(spec/caps.py: INFLATED_BYTES)")


def steps(count: int) -> None:
    if count > STEPS:
        raise PastCap(f"steps is {count:,}, past the cap of {STEPS:,} (spec/caps.py: STEPS)")


def geometry(g: ResolvedGeometry, passes: int = 1) -> None:
    """Refuse a convolution (`spec.shapes.ResolvedGeometry`) whose padding, padded input, output or
    multiply-adds (over `passes` passes) are past their caps."""
    widest = max(max(side) for side in g.padding)
    if widest > PADDING:
        raise PastCap(f"padding {g.padding} is past the cap of {PADDING} on a side (spec/caps.py: PADDING)")
    (top, bottom), (left, right) = g.padding
    n, c, h, w = g.x4
    elements("the padded input", n * c * (h + top + bottom) * (w + left + right))
    elements("the output", math.prod(g.out4))
    work = passes * math.prod(g.out4) * g.k4[1] * g.k4[2] * g.k4[3]
    if work > MULTIPLY_ADDS:
        raise PastCap(f"the case takes {work:,} multiply-adds, past the cap of {MULTIPLY_ADDS:,} "
                      "(spec/caps.py: MULTIPLY_ADDS)")


def passes(op: str, step_count: int = 1) -> int:
    """The passes over the convolution that an op makes: the multiply-adds cap counts them."""
    return {"grad": 2, "learn": 3 * step_count}.get(op, 1)
