"""NumPy backend: the lesson in plain NumPy, computing in the case's dtype.

NumPy has no autograd and no conv layer, so both are written here: the fast path sums the
kernel's offsets over strided views of the input (its backward goes offset by offset too,
adding each offset's gradient back onto its window), and the "built-in" path is im2col and
one matrix product, the way frameworks without a direct convolution kernel compute it.
The compiled path is Numba (kernels.py), imported on the path's first call.
"""

# The public API (backends/contract.py).
from .tensors import asarray, to_numpy, versions  # noqa: F401 (check's sandbox imports tensors.py alone)
from .loop import corr2d_loop  # noqa: F401
from .fast import corr2d  # noqa: F401
from .builtin import BuiltinConv2D, corr2d_builtin  # noqa: F401
from .layer import Conv2D, bare_loop, grad, layer_forward, learn  # noqa: F401
from .compiled import corr2d_compiled, learn_compiled  # noqa: F401
from .paths import PATHS, conv2d  # noqa: F401

name = "numpy"
