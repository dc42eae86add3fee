"""JAX backend: the lesson's JAX code, flax.linen layers differentiated by jax.vjp/jax.grad.

Layouts: flax's Conv (on `lax.conv_general_dilated`) takes NHWC input and HWIO (h, w, in,
out) kernels, so the 4-D NCHW/OIHW forms of `spec.shapes` are transposed on the way in and
out; it takes stride with dilation. Its explicit padding is not used: XLA's convolution
skips the padded positions instead of multiplying their zeros, so an infinite kernel tap
over the padding gives a finite number where the contract (IEEE: 0 * inf) gives NaN. The
input is padded by `jnp.pad` first, as Keras' ZeroPadding2D does in the TensorFlow backend,
for "same" too (flax's "SAME" splits the padding as the spec does, and skips it likewise);
in the other padding modes by `jnp.pad`'s, or by flax's own "CIRCULAR" and "REFLECT" where
they pad as much (the kernel's span less 1, the extra one after: "same" at stride 1).
JAX arrays are immutable: the loop path writes `Y = Y.at[i, j].set(...)`, and a flax
module holds no state, its parameters are a dict passed to `apply` and updated functionally.

The compiled path is `jax.jit`: the fast path is jitted already (`corr2d_compiled` is it),
and `learn_compiled` runs every step of the learning loop in one compiled `lax.scan`. The
other paths are jitted too, a layer's forward pass, its gradient and one step of the Python
loop each one program: run op by op, each primitive was a program of its own, lowered and
compiled per shape (PORTING.md has the counts).
"""

import os

# Bit-identical reruns: XLA on CPU is deterministic already; this flag (read when the
# first computation starts the backend) makes XLA refuse nondeterministic GPU kernels too.
os.environ["XLA_FLAGS"] = " ".join(
    filter(None, [os.environ.get("XLA_FLAGS"), "--xla_gpu_deterministic_ops=true"]))

import jax  # noqa: E402 (after the flag)

from convsuite.backends.common import cache_folder  # noqa: E402

# JAX computes in float32 unless told otherwise: without x64, jnp.asarray silently turns a
# float64 case into float32. (With it, jnp.zeros & co. default to float64: pass dtypes.)
jax.config.update("jax_enable_x64", True)

# Compile once, not every run: XLA keeps every program it compiles in a user cache folder
# outside the checkout, so reruns and fresh clones on one machine (CI's too) load them
# instead of compiling. The minimums are lowered so that these small programs, compiled in
# well under the default second, are kept too. A cached program is the same program: the
# results stay bit-identical.
CACHE = cache_folder("jax")
jax.config.update("jax_compilation_cache_dir", CACHE)
jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)

name = "jax"


def wait(tensor):
    """The array once computed: JAX dispatches asynchronously (for timing it)."""
    return tensor.block_until_ready()


# The public API (backends/contract.py), from the module that defines each name, once the
# framework is set up; tensors.py is also, on its own, check's sandboxed adapter.
from .builtin import BuiltinConv2D, corr2d_builtin  # noqa: E402,F401
from .compiled import corr2d_compiled, learn_compiled  # noqa: E402,F401
from .fast import corr2d  # noqa: E402,F401
from .layer import Conv2D, bare_loop, grad, layer_forward, learn  # noqa: E402,F401
from .loop import corr2d_loop  # noqa: E402,F401
from .paths import PATHS, conv2d  # noqa: E402,F401
from .tensors import asarray, to_numpy, versions  # noqa: E402,F401
