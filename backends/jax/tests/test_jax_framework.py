"""JAX and Flax: the facts this backend's choices (its porting idioms) rest on
(tests/test_framework_geometry.py)."""

import numpy as np
import pytest  # noqa: F401 (the facts that expect a refusal)

from even_kernel import EVEN_K, EVEN_SAME, EVEN_X


def test_flax_same_pads_after_and_skips_the_padding():
    import jax.numpy as jnp
    from flax import linen as nn

    conv = nn.Conv(1, (2, 2), padding="SAME", use_bias=False)
    y = conv.apply({"params": {"kernel": jnp.asarray(EVEN_K[:, :, None, None])}}, jnp.asarray(EVEN_X[None, :, :, None]))
    np.testing.assert_array_equal(np.asarray(y)[0, :, :, 0], EVEN_SAME)
    # special-inf-kernel-same: the zero padded after the last column times the infinite tap
    x = jnp.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], jnp.float32)[None, :, :, None]
    k = jnp.array([[1.0, np.inf]], jnp.float32)[:, :, None, None]
    y = nn.Conv(1, (1, 2), padding="SAME", use_bias=False).apply({"params": {"kernel": k}}, x)
    last = np.asarray(y)[0, :, 2, 0]
    assert np.isfinite(last).all()  # IEEE, and the spec, give NaN
