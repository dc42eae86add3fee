"""PyTorch: the facts this backend's choices (its porting idioms) rest on
(tests/test_framework_geometry.py)."""

import numpy as np
import pytest  # noqa: F401 (the facts that expect a refusal)

from even_kernel import EVEN_K, EVEN_SAME, EVEN_X


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
