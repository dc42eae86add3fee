"""The NumPy Conv2D's hand-written backward pass against the reference gradients."""

import numpy as np

from backends import numpy_backend
from spec import reference


def test_backward_matches_reference_gradients():
    rng = np.random.default_rng(3)
    X, W, G = rng.standard_normal((5, 6)), rng.standard_normal((2, 3)), rng.standard_normal((4, 4))
    layer = numpy_backend.Conv2D(W.shape, dtype="float64")
    layer.weight[...] = W
    layer.forward(X)
    dX = layer.backward(G)
    ref_dX, ref_dK, ref_db = reference.corr2d_grads(X, W, G)
    np.testing.assert_allclose(dX, ref_dX, atol=1e-12)
    np.testing.assert_allclose(layer.weight_grad, ref_dK, atol=1e-12)
    np.testing.assert_allclose(layer.bias_grad, [ref_db], atol=1e-12)
