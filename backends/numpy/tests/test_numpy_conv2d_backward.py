"""The NumPy layers' hand-written backward passes against the reference gradients."""

import numpy as np
import pytest

from convsuite.backends import numpy as numpy_backend
from convsuite.spec import reference
from convsuite.spec.shapes import Geometry


@pytest.mark.parametrize("layer_class", [numpy_backend.Conv2D, numpy_backend.BuiltinConv2D])
@pytest.mark.parametrize("x_shape, k_shape, geometry", [
    ((5, 6), (2, 3), {}),
    ((2, 3, 7, 8), (4, 3, 3, 2), {"padding": ((1, 0), (2, 1)), "stride": (2, 3), "dilation": (1, 2)}),
    ((3, 6, 5), (3, 2, 2), {"padding": (1, 1), "stride": (2, 1)}),
    ((2, 4, 7, 8), (6, 2, 3, 2), {"groups": 2, "padding": "same", "stride": (2, 1), "padding_mode": "reflect"}),
    ((3, 6, 5), (3, 1, 2, 2), {"groups": 3, "padding": ((3, 0), (1, 4)), "padding_mode": "replicate"}),
    ((2, 5, 4), (2, 2, 3, 3), {"padding": ((5, 1), (2, 4)), "dilation": (1, 2), "padding_mode": "circular"}),
])
def test_backward_matches_reference_gradients(layer_class, x_shape, k_shape, geometry):
    rng = np.random.default_rng(3)
    X, W = rng.standard_normal(x_shape), rng.standard_normal(k_shape)
    layer = layer_class(k_shape, Geometry(**geometry), dtype="float64")
    layer.weight[...] = W
    layer.bias[...] = rng.standard_normal(layer.bias.shape)
    G = rng.standard_normal(layer(X).shape)
    dX = layer.backward(G)
    ref_dX, ref_dK, ref_db = reference.grad(X, W, layer.bias, G=G, geometry=Geometry(**geometry))
    np.testing.assert_allclose(dX, ref_dX, atol=1e-12)
    np.testing.assert_allclose(layer.weight_grad, ref_dK, atol=1e-12)
    np.testing.assert_allclose(layer.bias_grad, ref_db, atol=1e-12)
