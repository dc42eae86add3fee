"""TensorFlow 2 / Keras 3 backend: the lesson's TF code, differentiated by GradientTape.

Layouts: Keras convolutions take NHWC input and HWIO (h, w, in, out) kernels, so the 4-D
NCHW/OIHW forms of `spec.shapes` are transposed on the way in and out. Keras' Conv2D pads
only "valid" or "same", so explicit padding is a ZeroPadding2D layer in front of it, and it
refuses a stride and a dilation above 1 together, so that case runs at stride 1 and keeps
every stride-th output (the same windows). Keras 3 wraps each weight in a `keras.Variable`;
the `tf.Variable` a GradientTape watches is its `.value`.

The compiled path (`corr2d_compiled`, `learn_compiled`) is `tf.function(jit_compile=True)`:
XLA fuses the fast path into one loop, and runs the whole learning loop in one call. That
loop is as fast as JAX's (the same XLA): 1024x1024 by 5x5 alone in a loop 0.63-0.83 ms
against JAX's 0.64-0.70 (three interleaved pairs of processes), though a call costs more
itself, 0.11-0.20 ms at 6x8 by 1x1 against JAX's 0.019 (measured, not taken apart).
"""

import logging
import os

from convsuite.backends.common import cache_folder

# XLA keeps what tf.function(jit_compile=True) compiles in a user cache folder (issue 15's
# "compile once"): the compiled path of the built-in cases took 35 s here with an empty
# cache and 13 s with a full one. Read at the first compile; the caller's TF_XLA_FLAGS are kept.
# Its key holds the function's name, `__inference_<name>_<uid>`, uid a process-wide counter
# (and the names of a while loop's body and condition likewise): a rerun that makes the same
# functions in the same order hits, as the harness' runs do; another order misses and adds
# entries. Tracing is left either way: 8.5 s of the compiled path's 14 s (under cProfile), every entry hit.
os.environ["TF_XLA_FLAGS"] = " ".join(filter(None, [
    os.environ.get("TF_XLA_FLAGS"), f"--tf_xla_persistent_cache_directory={cache_folder('tf-xla')}"]))

import tensorflow as tf  # noqa: E402 (after the flag)

name = "tensorflow"


# Bit-identical reruns: TensorFlow picks nondeterministic kernels unless told not to.
tf.config.experimental.enable_op_determinism()


class _NotRetracingWarnings(logging.Filter):
    """Keras 3 compiles every grouped convolution as a new XLA function, one per call, and
    TensorFlow warns, after a few, that it retraces: by design here, so kept out of the logs."""

    def filter(self, record):
        return "triggered tf.function retracing" not in record.getMessage()


tf.get_logger().addFilter(_NotRetracingWarnings())

# The public API (backends/contract.py), from the module that defines each name, once the
# framework is set up; tensors.py is also, on its own, check's sandboxed adapter.
from .builtin import BuiltinConv2D, corr2d_builtin  # noqa: E402,F401
from .compiled import corr2d_compiled, learn_compiled  # noqa: E402,F401
from .fast import corr2d  # noqa: E402,F401
from .layer import Conv2D, bare_loop, grad, layer_forward, learn  # noqa: E402,F401
from .loop import corr2d_loop  # noqa: E402,F401
from .paths import PATHS, conv2d  # noqa: E402,F401
from .tensors import asarray, seed, to_numpy, versions  # noqa: E402,F401
