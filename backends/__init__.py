"""One backend per framework, loaded lazily by name.

Every backend module offers the same names (as Keras 3 does across its backends); X, K
and the result are framework tensors, `geometry` is padding=, stride=, dilation= (see
`spec.shapes`), and `form` is "fast" or "builtin":

- ``name``, ``versions()``: the backend's name and the versions it runs on;
- ``asarray(numpy_array)`` / ``to_numpy(tensor)``: crossing into and out of the framework,
  keeping the dtype;
- ``corr2d(X, K, **geometry)``: the vectorized (fast) form, a sum over the kernel's offsets
  of strided input windows, padded by the framework's own pad;
- ``corr2d_builtin(X, K, **geometry)``: the framework's own conv layer
  (``BuiltinConv2D``, a subclass of it that takes the case's shapes);
- ``corr2d_loop(X, K, **geometry)``: the lessons' loop form, kept for teaching;
- ``FORMS``: those three by name; ``conv2d(X, K, **geometry, form=...)``: true convolution;
- ``Conv2D``: the lesson's layer as the framework's own kind of layer, on ``corr2d``;
  ``layer_forward(X, weight, bias, **geometry, form=...)`` runs it (or the built-in one);
- ``grad(X, K, bias, G, **geometry, form=...)``: ``(dX, dK, db)`` of
  ``sum(G * layer_forward(X, K, bias))``, from the framework's autograd;
- ``learn(X, Y, K_init, lr, steps, layer, bias, learn_bias, **geometry)``: the lesson's
  kernel-learning loop with the built-in layer (``layer="builtin"``) or ``Conv2D``
  (``"custom"``), returning ``(losses, K, bias)``.

Only where the framework compiles (TensorFlow, MXNet, JAX), the compiled path, which the
conformance runner and the benchmark find by these names:

- ``corr2d_compiled(X, K, **geometry)``: the fast form compiled (``FORMS["compiled"]``);
- ``learn_compiled(...)``: ``learn``'s arguments and result, the steps compiled.

``wait(tensor)``, where the framework computes asynchronously (MXNet, JAX): the tensor once
it is computed, so that a timer stops when the work is done (the benchmark calls it).

``COMPILES_EVERY_PATH = True`` marks a backend whose every path compiles per shape (JAX):
the fuzzer runs it only on the cases that run the compiled paths.

Each module imports only its framework, NumPy and `spec`; importing this package imports
no framework at all.
"""

import importlib

# name -> (module, what to install when the framework is missing)
BACKENDS = {
    "numpy": ("backends.numpy_backend", "numpy"),
    "torch": ("backends.torch_backend", "torch==2.13.0"),
    "tensorflow": ("backends.tensorflow_backend", "tensorflow-cpu==2.21.0"),
    "mxnet": ("backends.mxnet_backend", "mxnet==1.9.1 numpy==1.23.5"),
    "jax": ("backends.jax_backend", "jax==0.10.2 flax==0.12.8"),
}


class BackendUnavailable(RuntimeError):
    """The backend's framework is not installed (or fails to import) in this environment."""


def load(name):
    """The backend module called `name`; BackendUnavailable if its framework cannot load."""
    if name not in BACKENDS:
        raise ValueError(f"unknown backend {name!r}; choose one of {sorted(BACKENDS)}")
    module, install = BACKENDS[name]
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise BackendUnavailable(
            f"backend {name!r} cannot import its framework ({exc}); "
            f"in this environment run: pip install {install} "
            f"(or use its nox session: nox -s {name})"
        ) from exc
