"""PyTorch's own groups, "same" and padding modes behave as this backend's porting
idioms (backend.toml) say: the facts its choices rest on, pinned down so that the day the
framework changes, a test says which choice to revisit. Collected in this backend's session
only (the root conftest.py)."""

import numpy as np
import pytest  # noqa: F401 (the facts that expect a refusal)

from convsuite.spec import reference, shapes  # noqa: F401

EVEN_X = np.array([[1.0, 2.0], [3.0, 4.0]])
EVEN_K = np.array([[1.0, 10.0], [100.0, 1000.0]])
# What the spec's "same" gives them (tests/test_framework_geometry.py pins its numbers).
EVEN_SAME = reference.corr2d(EVEN_X, EVEN_K, shapes.Geometry(padding="same"))


def test_torch_same_refuses_stride():
    from torch import nn

    with pytest.raises(ValueError, match="strided"):
        nn.Conv2d(1, 1, 3, stride=2, padding="same")


def test_torch_reflects_less_than_the_input():
    import torch
    import torch.nn.functional as F

    row = torch.arange(1.0, 4.0).reshape(1, 1, 1, 3)
    with pytest.raises(RuntimeError, match="Padding size should be less than"):
        F.pad(row, (3, 0, 0, 0), mode="reflect")
    assert F.pad(row, (3, 0, 0, 0), mode="circular").flatten().tolist() == [1, 2, 3, 1, 2, 3]


def test_torch_same_pads_after():
    import torch
    from torch import nn

    conv = nn.Conv2d(1, 1, 2, padding="same", bias=False).double()
    with torch.no_grad():
        conv.weight.copy_(torch.from_numpy(EVEN_K[None, None]))
    np.testing.assert_array_equal(conv(torch.from_numpy(EVEN_X[None, None])).detach().numpy()[0, 0], EVEN_SAME)
