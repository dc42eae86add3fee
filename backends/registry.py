"""Every backend, by name: one line each, naming its package (its folder, `backends/NAME/`).

Everything else about a backend (its environments, capabilities, quirks, porting idioms,
documented differences) is in its folder (see `backends.contract`), which nox, the workflow,
the fuzzer, the bench, check, the porting guide and the tests read without importing the
framework.
"""

BACKENDS = {
    "numpy": "convsuite.backends.numpy",
    "torch": "convsuite.backends.torch",
    "tensorflow": "convsuite.backends.tensorflow",
    "mxnet": "convsuite.backends.mxnet",
    "jax": "convsuite.backends.jax",
    "paddle": "convsuite.backends.paddle",
}
