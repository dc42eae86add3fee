"""NumPy: the facts this backend's choices (its porting idioms) rest on
(tests/test_framework_geometry.py)."""

import numpy as np
import pytest  # noqa: F401 (the facts that expect a refusal)


def test_numpy_symmetric_is_not_reflect():
    """np.pad's "symmetric" repeats the edge before mirroring (as TensorFlow's SYMMETRIC):
    "reflect" is the spec's mode, "edge" its replicate, "wrap" its circular."""
    row = np.array([1, 2, 3, 4])
    assert np.pad(row, 2, mode="reflect").tolist() == [3, 2, 1, 2, 3, 4, 3, 2]
    assert np.pad(row, 2, mode="symmetric").tolist() == [2, 1, 1, 2, 3, 4, 4, 3]
