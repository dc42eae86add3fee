"""The tolerance rule: a real float32 computation stays inside it, and it is tight enough."""

import numpy as np
import pytest
from numpy.lib.stride_tricks import sliding_window_view

from spec import cases, reference, tolerance


def learn_float32_naively(X, Y, K, lr, steps):
    """The lesson's loop in float32, summing each window in a different order than corr2d."""
    X, Y, K, lr = X.astype(np.float32), Y.astype(np.float32), K.astype(np.float32), np.float32(lr)
    losses = []
    for _ in range(steps):
        windows = sliding_window_view(X, K.shape)[..., ::-1, ::-1]
        R = np.einsum("ijab,ab->ij", windows, K[::-1, ::-1]) - Y
        losses.append(float(np.sum(R**2, dtype=np.float32)))
        K = K - lr * np.einsum("ijab,ij->ab", sliding_window_view(X, K.shape), 2 * R)
    return np.array(losses), K


def test_gamma():
    u = 2.0**-24
    assert tolerance.gamma(4, "float32") == pytest.approx(4 * u / (1 - 4 * u))
    assert tolerance.gamma(4, "float64") < tolerance.gamma(4, "float32") * 1e-8


@pytest.mark.parametrize("seed", range(20))
def test_float32_forward_stays_within_bound(seed):
    rng = np.random.default_rng(seed)
    X = rng.standard_normal((9, 11)) * 10 ** rng.uniform(-3, 3)
    K = rng.standard_normal((3, 4))
    raw = {"id": "x", "op": "corr2d", "X": X.tolist(), "K": K.tolist()}
    case = cases.parse(raw)
    exact = reference.corr2d(case.inputs["X"].astype(np.float64), case.inputs["K"].astype(np.float64))
    X32, K32 = case.inputs["X"], case.inputs["K"]
    got = np.einsum("ijab,ab->ij", sliding_window_view(X32, K32.shape), K32)
    bound = tolerance.bounds(case, "float32")["Y"]
    assert np.all(np.abs(got - exact) <= bound)
    # ... and the bound is not vacuous: within 2 orders of magnitude of the float32 error.
    assert np.max(bound) < 100 * 2.0**-24 * np.max(np.abs(X)) * np.abs(K).sum()


@pytest.mark.parametrize("seed", range(10))
def test_float32_learning_loop_stays_within_bound(seed):
    rng = np.random.default_rng(seed)
    X = rng.uniform(-1, 1, (6, 7))
    Y = reference.corr2d(X, rng.standard_normal((2, 2)))
    raw = {"id": "x", "op": "learn", "X": X.tolist(), "Y": Y.tolist(),
           "K_init": rng.standard_normal((2, 2)).tolist(), "lr": 0.02, "steps": 8,
           "layer": "builtin"}
    case = cases.parse(raw)
    inputs = {k: v.astype(np.float64) if isinstance(v, np.ndarray) else v
              for k, v in case.inputs.items()}
    exact_losses, exact_K = reference.learn(**inputs)
    losses, K = learn_float32_naively(inputs["X"], inputs["Y"], inputs["K_init"], 0.02, 8)
    bound = tolerance.bounds(case, "float32")
    assert np.all(np.abs(losses - exact_losses) <= bound["losses"])
    assert np.all(np.abs(K - exact_K) <= bound["K"])


def test_learning_bound_is_tight_enough_to_catch_a_learning_rate_off_by_a_thousandth():
    case = next(cases.parse(c) for c in cases.load() if c["id"] == "learn-edge-builtin")
    inputs = {k: v.astype(np.float64) if isinstance(v, np.ndarray) else v
              for k, v in case.inputs.items()}
    _, K = reference.learn(**inputs)
    _, K_wrong = reference.learn(**{**inputs, "lr": inputs["lr"] * 1.001})
    assert np.max(np.abs(K_wrong - K)) > 10 * np.max(tolerance.versus_reference(case)["K"])


def test_backend_pairs_get_twice_the_single_bound():
    case = cases.parse({"id": "x", "op": "corr2d", "X": [[1, 2], [3, 4]], "K": [[1]]})
    single = tolerance.bounds(case, "float32")["Y"]
    np.testing.assert_array_equal(tolerance.between_backends(case)["Y"], 2 * single)
    assert np.all(tolerance.versus_reference(case)["Y"] > single)
