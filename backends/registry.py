"""Every backend, by name: one line each, naming its module.

Everything else about a backend (its environments, capabilities, quirks, porting idioms) is
declared in its module's ``DECLARATION`` (see `backends.contract`), which nox, the workflow,
the fuzzer, the bench, the porting guide and the tests read without importing the framework.
"""

BACKENDS = {
    "numpy": "backends.numpy_backend",
    "torch": "backends.torch_backend",
    "tensorflow": "backends.tensorflow_backend",
    "mxnet": "backends.mxnet_backend",
    "jax": "backends.jax_backend",
    "paddle": "backends.paddle_backend",
}
