"""The tolerance rule: real float32 computations stay inside it, and it is tight enough.

The float32 computations are the NumPy backend's two paths (a gather with einsum, im2col
with a matrix product); their errors are measured against exact (float64) values.
"""

import numpy as np
import pytest

from convsuite.backends import numpy as numpy_backend
from convsuite.spec import cases, reference, tolerance

GEOMETRIES = [
    ((9, 11), (3, 4), {}),
    ((6, 7), (3, 3), {"padding": [[1, 0], [2, 1]], "stride": [2, 3]}),
    ((3, 8, 9), (2, 3, 3, 2), {"padding": [1, 1], "dilation": [2, 1]}),
    ((4, 3, 7, 6), (2, 3, 2, 2), {"stride": [2, 2]}),
    ((2, 4, 7, 6), (6, 2, 3, 3), {"groups": 2, "padding": "same", "stride": [2, 1], "padding_mode": "reflect"}),
    ((3, 6, 5), (3, 1, 2, 3), {"groups": 3, "padding": [[3, 1], [0, 4]], "padding_mode": "replicate"}),
    ((2, 5, 6), (2, 2, 3, 2), {"padding": [[5, 0], [1, 6]], "dilation": [1, 2], "padding_mode": "circular"}),
]


def float64(case):
    return {k: v.astype(np.float64) if isinstance(v, np.ndarray) else v for k, v in case.inputs.items()}


def test_gamma():
    u = 2.0**-24
    assert tolerance.gamma(4, "float32") == pytest.approx(4 * u / (1 - 4 * u))
    assert tolerance.gamma(4, "float64") < tolerance.gamma(4, "float32") * 1e-8


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("x_shape, k_shape, geometry", GEOMETRIES)
@pytest.mark.parametrize("path", ["fast", "builtin"])
def test_float32_forward_stays_within_a_bound_that_is_not_vacuous(seed, x_shape, k_shape, geometry, path):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal(x_shape) * 10.0 ** rng.uniform(-3, 3)
    raw = {"id": "x", "op": "layer", "X": X.tolist(), "weight": rng.standard_normal(k_shape).tolist(),
           "bias": 0.5, **geometry}
    case = cases.parse(raw)
    exact = reference.layer_forward(**float64(case))
    got = numpy_backend.layer_forward(**case.inputs, path=path)
    bound = tolerance.bounds(case, "float32")["Y"]
    assert got.dtype == np.float32 and np.all(np.abs(got - exact) <= bound)
    magnitude = reference.layer_forward(
        np.abs(X), np.abs(float64(case)["weight"]), np.abs(float64(case)["bias"]), geometry=case.geometry.settings)
    assert np.max(bound / magnitude) < 1000 * 2.0**-24


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("x_shape, k_shape, geometry", GEOMETRIES)
@pytest.mark.parametrize("path", ["fast", "builtin"])
def test_float32_gradients_stay_within_bound(seed, x_shape, k_shape, geometry, path):
    rng = np.random.default_rng(seed)
    raw = {"id": "x", "op": "grad", "X": rng.standard_normal(x_shape).tolist(),
           "K": rng.standard_normal(k_shape).tolist(), "bias": 0.5, **geometry}
    raw["G"] = rng.standard_normal(cases.parse(raw).geometry.out_shape).tolist()
    case = cases.parse(raw)
    bound = tolerance.bounds(case, "float32")
    exact = reference.grad(**float64(case))
    for name, want, have in zip(("dX", "dK", "db"), exact, numpy_backend.grad(**case.inputs, path=path)):
        assert have.dtype == np.float32 and np.all(np.abs(have - want) <= bound[name]), name


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("x_shape, k_shape, geometry", GEOMETRIES)
@pytest.mark.parametrize("layer", ["builtin", "custom"])
def test_float32_learning_loop_stays_within_bound(seed, x_shape, k_shape, geometry, layer):
    rng = np.random.default_rng(seed)
    probe = cases.parse({"id": "g", "op": "corr2d", "X": np.ones(x_shape).tolist(),
                         "K": np.ones(k_shape).tolist(), **geometry})
    X = rng.uniform(-1, 1, x_shape)
    Y = reference.layer_forward(X, rng.standard_normal(k_shape), rng.standard_normal(probe.geometry.k4[0]),
                                geometry=probe.geometry.settings)
    raw = {"id": "x", "op": "learn", "X": X.tolist(), "Y": Y.tolist(),
           "K_init": rng.standard_normal(k_shape).tolist(), "bias": 0.0, "learn_bias": True,
           "lr": 0.002, "steps": 8, "layer": layer, **geometry}
    case = cases.parse(raw)
    exact_losses, exact_K, exact_bias = reference.learn(**float64(case))
    losses, K, bias = numpy_backend.learn(**case.inputs)
    bound = tolerance.bounds(case, "float32")
    assert K.dtype == np.float32
    assert np.all(np.abs(np.array(losses) - exact_losses) <= bound["losses"])
    assert np.all(np.abs(K - exact_K) <= bound["K"])
    assert np.all(np.abs(bias - exact_bias) <= bound["bias"])


def test_learning_bound_is_tight_enough_to_catch_a_learning_rate_off_by_a_thousandth():
    case = next(cases.parse(c) for c in cases.load() if c["id"] == "learn-edge-builtin")
    inputs = float64(case)
    _, K, _ = reference.learn(**inputs)
    _, K_wrong, _ = reference.learn(**{**inputs, "lr": inputs["lr"] * 1.001})
    assert np.max(np.abs(K_wrong - K)) > 10 * np.max(tolerance.versus_reference(case)["K"])


def test_backend_pairs_get_twice_the_single_bound():
    case = cases.parse({"id": "x", "op": "corr2d", "X": [[1, 2], [3, 4]], "K": [[1]]})
    single = tolerance.bounds(case, "float32")["Y"]
    np.testing.assert_array_equal(tolerance.between_backends(case)["Y"], 2 * single)
    assert np.all(tolerance.versus_reference(case)["Y"] > single)


@pytest.mark.parametrize("got, want", [([[np.nan, 5.0]], [[np.nan, -np.inf]]), ([[np.inf]], [[3.0]]),
                                       ([[-np.inf]], [[np.inf]])])
def test_an_infinite_error_is_never_within_a_tolerance_even_an_infinite_one(got, want):
    """Where the case's values are infinite, so is their bound: a finite number where the
    reference has an infinity (or the other infinity) would otherwise pass."""
    from convsuite.conformance.harness.judge import ratio, worst

    _, mismatch = worst(np.array(got), np.array(want), np.inf, field="Y")
    assert mismatch is not None
    assert ratio({"Y": got}, {"Y": want}, tol={"Y": np.inf}, fields=["Y"]) == np.inf
    assert worst(np.array(want), np.array(want), np.inf, field="Y")[1] is None  # the same infinity agrees
