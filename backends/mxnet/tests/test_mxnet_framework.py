"""MXNet: the facts this backend's choices (its porting idioms) rest on
(tests/test_framework_geometry.py)."""

import numpy as np
import pytest  # noqa: F401 (the facts that expect a refusal)


def test_mxnet_pad_has_no_wrap_and_reflects_less_than_the_input():
    from mxnet import base, nd

    x = nd.arange(1, 4).reshape((1, 1, 1, 3))
    with pytest.raises(base.MXNetError):
        x.pad(mode="wrap", pad_width=(0, 0, 0, 0, 0, 0, 1, 1)).wait_to_read()
    with pytest.raises(base.MXNetError, match="smaller than the input"):
        x.pad(mode="reflect", pad_width=(0, 0, 0, 0, 0, 0, 3, 0)).wait_to_read()
    assert x.pad(mode="edge", pad_width=(0, 0, 0, 0, 0, 0, 2, 1)).asnumpy().ravel().tolist() == [1, 1, 1, 2, 3, 3]


def test_mxnet_numpy_mode_sum_of_an_infinity_is_nan_documented_difference():
    """backends/mxnet/differences.toml: after npx.set_np(), mxnet.numpy sums [1, -inf, 2] to
    NaN (the book's MXNet chapters run the lesson's corr2d in that mode); check calls it
    known."""
    from mxnet import np as mx_np, npx

    npx.set_np()
    try:
        assert np.isnan(float(mx_np.array([1.0, -np.inf, 2.0]).sum()))
    finally:
        npx.reset_np()
