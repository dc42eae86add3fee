"""PaddlePaddle: the facts this backend's choices (its porting idioms) rest on
(tests/test_framework_geometry.py)."""

import numpy as np
import pytest  # noqa: F401 (the facts that expect a refusal)

from convsuite.spec import reference, shapes
from even_kernel import EVEN_K, EVEN_SAME, EVEN_X


def test_paddle_same_drops_the_dilation():
    import paddle
    from paddle import nn

    x = paddle.to_tensor(np.random.default_rng(0).standard_normal((1, 1, 7, 7)))
    w = np.random.default_rng(1).standard_normal((1, 1, 3, 3))
    outputs = []
    for dilation in (1, 2):
        conv = nn.Conv2D(1, 1, 3, padding="SAME", dilation=dilation, bias_attr=False)
        conv.to(dtype="float64")
        conv.weight.set_value(w)
        outputs.append(conv(x).numpy())
    np.testing.assert_array_equal(outputs[0], outputs[1])
    from convsuite.spec import reference

    assert not np.allclose(outputs[1], reference.corr2d(x.numpy(), w, shapes.Geometry(padding="same", dilation=2)))


def test_paddle_padding_modes_take_one_padding():
    from paddle import nn

    with pytest.raises(TypeError, match="type of padding must be int"):
        nn.Conv2D(1, 1, 3, padding=[1, 0, 2, 1], padding_mode="reflect")


def test_paddle_same_pads_after():
    import paddle
    from paddle import nn

    conv = nn.Conv2D(1, 1, 2, padding="SAME", bias_attr=False)
    conv.to(dtype="float64")
    conv.weight.set_value(EVEN_K[None, None])
    np.testing.assert_array_equal(conv(paddle.to_tensor(EVEN_X[None, None])).numpy()[0, 0], EVEN_SAME)
