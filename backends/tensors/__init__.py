"""What `check`'s sandboxed child needs of each framework, and nothing else: one module per
backend, `NAME_tensors.py`, that imports only its framework and NumPy (never `spec` or the
backend module, which import the suite's reference and shapes).

Each defines `asarray(array)` (a NumPy array as the framework's tensor), `to_numpy(tensor)`,
`versions()`, and optionally `seed(value)`, `foreign_input(tensor)` (the tensor in the form
the lesson's code expects) and the layer's ways (`conformance.check.child.layers`):
`bring_to_life(layer, X)`, `set_parameter(holder, tensor)`, `parameters_of(layer)`. Importing
it makes the settings the backend makes at import (determinism, 64-bit floats). The sandbox mounts the one file a target needs, read-only, as
`_check_framework`; `tests/test_contract.py` checks that every backend has one.
"""
