"""MXNet Gluon backend: the lesson's MXNet code, recorded with autograd.

Layouts: Gluon's Conv2D takes NCHW input and OIHW (out, in, h, w) weights, the 4-D forms
`spec.shapes` computes every pairing in. It pads symmetrically only, and with zeros only;
asymmetric padding and the other padding modes go through `pad` first (reflect and edge:
it has no wrap-around, so circular padding is the input tiled three times and cut). It has
no "same": spec.shapes' explicit padding. MXNet 1.9.1 uses `np.bool`, an alias NumPy 1.24 removed: with
NumPy 1.23 it is there; with a newer NumPy < 2 (Python 3.12 has no wheel of 1.23) it is
restored below.

The compiled path is Gluon's `hybridize()`: the layer and the loss run as one cached graph
per step. Its 10-step learning loop cannot reach 1 ms here: MXNet 1.x compiles the forward
pass only, so each step stays three engine round trips from Python (the recorded forward,
`backward()`, the update). Profiled on the 2-core machine, learn-edge-custom (medians of 200
calls; the script is in the closing note of issue 15): the hybridized loop 4.6 ms; one
step 0.38 ms = record + forward 0.09, backward 0.15, update 0.09 (a tiny eager op costs
0.018 ms); the rest is building the layer once per call. Ten steps are at least 3.8 ms.
"""

import numpy as np

# MXNet 1.9.1 refers to `np.bool` (e.g. in its dtype tables), an alias of the builtin bool
# that NumPy deprecated in 1.20 and removed in 1.24; the oldest NumPy with Python 3.12 wheels
# is 1.26. Restoring the same alias before MXNet is imported changes nothing MXNet computes.
# (NumPy 1.20-1.23 serve it from a deprecation hook, not the module dict, so it is set there
# too: the same bool, minus the deprecation warning.)
if "bool" not in vars(np):
    np.bool = bool

# The public API (backends/contract.py), after the alias MXNet needs.
from .tensors import asarray, foreign_input, to_numpy, versions, wait  # noqa: E402,F401 (check's sandbox imports tensors.py alone)
from .loop import corr2d_loop  # noqa: E402,F401
from .fast import corr2d  # noqa: E402,F401
from .builtin import BuiltinConv2D, corr2d_builtin  # noqa: E402,F401
from .layer import Conv2D, bare_loop, grad, layer_forward, learn  # noqa: E402,F401
from .compiled import corr2d_compiled, learn_compiled  # noqa: E402,F401
from .paths import PATHS, conv2d  # noqa: E402,F401

name = "mxnet"
