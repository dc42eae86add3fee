"""PaddlePaddle backend: the lesson's Paddle code (dygraph), with autograd doing the backward
pass.

Layouts: Paddle's convolutions take NCHW input and OIHW (out, in, h, w) weights, the 4-D
forms `spec.shapes` computes every pairing in. `nn.Conv2D` takes asymmetric padding itself,
as [top, bottom, left, right], and multiplies the padded zeros (0 * inf is NaN there, as the
contract says), so nothing is padded first; `F.pad`, which the fast path uses, takes
[left, right, top, bottom], the last axis first. Its padding modes take one padding for all
four sides, and its padding="SAME" drops the dilation (it pads and convolves as if the
kernel were not dilated): elsewhere `F.pad` pads first, or the padding is explicit.

No compiled path: `paddle.jit.to_static` never beat the eager loop, not even with its program
built once and reused (medians on the 2-core machine, paddle 3.3.1). The lesson's 10-step
loop, learn-edge-custom: eager 3.5-3.8 ms; to_static's AST translation (full_graph=True)
10-16 ms reusing the program of the same shape, 60-115 ms for each new shape (0.4-0.9 s for
the first in a process). learn-edge-builtin: eager 2.0-2.2 ms; to_static 5.6-6.4 ms reused,
20-32 ms for a new shape. The 6x8 corr2d: eager 80 us, to_static 0.9 ms a call after 50 ms
of translation per shape. Its default, the bytecode translator SOT (full_graph=False),
cannot trace the fast path (it finds no `ResolvedGeometry.tap_window`, a frozen
dataclass's method) and ran the built-in loop in 3.5-3.9 ms. Eager Paddle runs every built-in case on both
paths in about 0.25 s; the conformance cases alone hold over a hundred shapes.
"""

import warnings

# Paddle's C++-extension helper warns at import that no ccache is on the PATH (it would
# only matter for building custom operators): kept out of every run's output.
with warnings.catch_warnings():
    warnings.filterwarnings("ignore", message="No ccache found", category=UserWarning)
    import paddle  # noqa: F401 (imported here first, quietly, for the modules below)

name = "paddle"

# The public API (backends/contract.py), after the quiet import above.
from .tensors import asarray, to_numpy, versions  # noqa: E402 (check's sandbox imports tensors.py alone)
from .loop import corr2d_loop  # noqa: E402
from .fast import corr2d  # noqa: E402
from .builtin import BuiltinConv2D, corr2d_builtin  # noqa: E402
from .paths import PATHS, conv2d  # noqa: E402
from .layer import Conv2D, bare_loop, grad, layer_forward, learn  # noqa: E402
