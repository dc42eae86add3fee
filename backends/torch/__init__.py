"""PyTorch backend: the lesson's PyTorch code, with autograd doing the backward pass.

Layouts: torch convolutions take NCHW input and OIHW (out, in, h, w) weights, the 4-D forms
`spec.shapes` computes every pairing in. `nn.Conv2d` pads symmetrically only, in any of the
spec's padding modes (they are torch's names); asymmetric padding goes through `F.pad`
first. Its padding="same" splits the padding as the spec does, but refuses stride > 1.

No compiled path: `torch.compile(fullgraph=True)` (inductor) does not pay at the large sizes,
compiling included (torch 2.13 on the 2-core machine, medians of runs in turns, inductor's
cache empty; the script, run with the torch environment's Python, is in issue 15's closing
note). The fast corr2d at 1024x1024/5x5: 14-20 s to compile, then 6.2-13.9 ms a call against
2.2-6.7 ms eager. The lesson's loop cannot be one graph around its Conv2D (Dynamo refuses the
`nn.Parameter()` constructor); written functionally (`torch.func.grad_and_value` per step)
its 10 steps at 1024x1024/5x5 took 334 s to compile and ran no faster (2.2 s against 0.80 s).
Only lesson-sized loops gain: learn-edge-custom in 0.21-0.33 ms against 3.1-3.3 ms eager,
after 6.8-7.2 s of compiling (1.0 s from a warm cache) for each new shape, and the
conformance cases alone hold over a hundred shapes. `torch.jit` is deprecated.
"""

import warnings

import torch

name = "torch"

# Bit-identical reruns: refuse nondeterministic kernels (CPU kernels here already are).
torch.use_deterministic_algorithms(True)
# padding="same" with an even kernel warns that it pads a copy of the input first: what
# every asymmetric padding here does anyway.
warnings.filterwarnings("ignore", message="Using padding='same' with even kernel", category=UserWarning)

# The public API (backends/contract.py), after the settings above.
from .tensors import asarray, to_numpy, versions  # noqa: E402 (check's sandbox imports tensors.py alone)
from .loop import corr2d_loop  # noqa: E402
from .fast import corr2d  # noqa: E402
from .builtin import BuiltinConv2D, corr2d_builtin  # noqa: E402
from .paths import PATHS, conv2d  # noqa: E402
from .layer import Conv2D, bare_loop, grad, layer_forward, learn  # noqa: E402
