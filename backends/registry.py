"""Every backend, by name: one line each, naming its module.

Everything else about a backend (its environments, capabilities, quirks, porting idioms) is
declared in its module's ``DECLARATION`` (see `backends.contract`), which nox, the workflow,
the fuzzer, the bench, the porting guide and the tests read without importing the framework.
"""

BACKENDS = {
    "numpy": "convsuite.backends.numpy_backend",
    "torch": "convsuite.backends.torch_backend",
    "tensorflow": "convsuite.backends.tensorflow_backend",
    "mxnet": "convsuite.backends.mxnet_backend",
    "jax": "convsuite.backends.jax_backend",
    "paddle": "convsuite.backends.paddle_backend",
}
