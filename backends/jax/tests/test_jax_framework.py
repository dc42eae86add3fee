"""JAX and Flax's own groups, "same" and padding modes behave as this backend's porting
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
