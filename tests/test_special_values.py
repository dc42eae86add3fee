"""NaN, infinities and subnormals in the backend chosen with --backend.

NaN and inf propagate the IEEE way in every backend (the special-* cases check that through
`compare`). Subnormals are a documented framework difference (spec/tolerance.py): each backend declares
whether it flushes them to zero (TensorFlow and JAX, XLA, on CPU do), and the tolerance
allows both.
"""

import numpy as np
import pytest

@pytest.mark.parametrize("path", ["fast", "builtin"])
def test_subnormal_inputs_are_kept_or_flushed_as_documented(backend, path):
    subnormal = np.float32(1e-40)
    X = backend.asarray(np.array([[subnormal]], np.float32))
    K = backend.asarray(np.array([[1e10]], np.float32))
    Y = backend.to_numpy(backend.PATHS[path](X, K))[0, 0]
    expected = 0.0 if backend.declaration.flushes_subnormals else np.float32(subnormal * np.float32(1e10))
    assert Y == expected


@pytest.mark.parametrize("path", ["fast", "builtin"])
@np.errstate(invalid="ignore")
def test_nan_and_inf_propagate_the_ieee_way(backend, path):
    X = backend.asarray(np.array([[np.inf, 1, np.nan, 2, 3]], np.float32))
    K = backend.asarray(np.array([[0, 1]], np.float32))
    Y = backend.to_numpy(backend.PATHS[path](X, K))
    np.testing.assert_array_equal(Y, [[np.nan, np.nan, np.nan, 3]])


def test_tensorflow_builtin_dilated_gradient_documented_difference(backend):
    """backends/tensorflow/differences.toml: TensorFlow's built-in layer turns dK NaN when a
    non-finite input sits between the taps of a dilated kernel; every other backend and path
    keeps it finite."""
    from convsuite.conformance.harness.runner import run_paths
    from convsuite.spec import cases

    raw = next(c for c in cases.load(["spec/cases/regressions.json"])
               if c["id"] == "regression-tensorflow-dilated-grad-inf-between-taps")
    runs = run_paths(backend, [raw])
    fast, builtin = runs["results"][0], runs["paths"]["builtin"][0]
    assert np.isfinite(fast["dK"]).all()
    assert np.isnan(builtin["dK"]).any() == (backend.name == "tensorflow")


@np.errstate(invalid="ignore")
def test_keras_same_in_float32_skips_the_padding_documented_difference(backend):
    """backends/tensorflow/differences.toml: Keras' own "same" (TensorFlow's built-in layer)
    in float32 leaves the padded zeros out, so an infinite tap over the border gives a
    number, not NaN; every other backend and path, and TensorFlow in float64, multiply them."""
    from convsuite.conformance.harness.runner import run_paths
    from convsuite.spec import cases

    for dtype in ("float32", "float64"):
        raw = next(c for c in cases.load(["spec/cases/same.json"]) if c["id"] == "special-inf-kernel-same")
        runs = run_paths(backend, [{**raw, "dtype": dtype}])
        fast, builtin = runs["results"][0], runs["paths"]["builtin"][0]
        assert np.isnan(np.array(fast["Y"], dtype=float)[:, 2]).all()
        skips = backend.name == "tensorflow" and dtype == "float32"
        assert np.isnan(np.array(builtin["Y"], dtype=float)[:, 2]).all() != skips, (dtype, builtin["Y"])


@np.errstate(invalid="ignore")
def test_xla_float64_groups_of_one_channel_documented_difference(backend):
    """The differences.toml of backends/tensorflow/ and backends/jax/: in float64, with one
    input channel per group, XLA's built-in convolution (TensorFlow's Keras layer, flax's
    nn.Conv) lets an infinite input in group 1 turn group 0's outputs NaN; in float32 the
    groups stay apart, and every other backend and path keeps them apart in both."""
    from convsuite.conformance.harness.runner import run_paths
    from convsuite.spec import cases

    raw = next(c for c in cases.load(["spec/cases/regressions.json"])
               if c["id"] == "regression-xla-float64-depthwise-nan-across-groups")
    for dtype in ("float64", "float32"):
        runs = run_paths(backend, [{**raw, "dtype": dtype}])
        fast, builtin = runs["results"][0], runs["paths"]["builtin"][0]
        assert np.isfinite(np.array(fast["Y"][0], dtype=float)).all()  # group 0 holds no infinity
        mixes = backend.name in ("tensorflow", "jax") and dtype == "float64"
        assert np.isnan(np.array(builtin["Y"][0], dtype=float)).any() == mixes, (dtype, builtin["Y"])
