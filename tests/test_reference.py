"""The float64 reference reproduces the lesson and agrees with first principles."""

import numpy as np
import pytest

from spec import cases, reference, shapes

LESSON_X = np.arange(9.0).reshape(3, 3)
LESSON_K = np.array([[0.0, 1.0], [2.0, 3.0]])


def edge_image():
    X = np.ones((6, 8))
    X[:, 2:6] = 0
    return X


def test_lesson_values():
    np.testing.assert_array_equal(reference.corr2d(LESSON_X, LESSON_K), [[19, 25], [37, 43]])
    Y = reference.corr2d(edge_image(), np.array([[1.0, -1.0]]))
    assert Y.shape == (6, 7)
    np.testing.assert_array_equal(Y[:, 1], 1)
    np.testing.assert_array_equal(Y[:, 5], -1)
    assert np.count_nonzero(Y) == 12
    assert not reference.corr2d(edge_image().T, np.array([[1.0, -1.0]])).any()


def test_conv2d_is_corr2d_with_the_kernel_flipped_both_ways():
    np.testing.assert_array_equal(reference.conv2d(LESSON_X, LESSON_K), [[5, 11], [23, 29]])
    rng = np.random.default_rng(0)
    X, K = rng.standard_normal((5, 6)), rng.standard_normal((2, 3))
    np.testing.assert_allclose(reference.conv2d(X, K), reference.corr2d(X, K[::-1, ::-1]))
    assert not np.allclose(reference.conv2d(X, K), reference.corr2d(X, K))


def test_corr2d_matches_the_definition_window_by_window():
    rng = np.random.default_rng(1)
    X, K = rng.standard_normal((5, 7)), rng.standard_normal((3, 2))
    Y = reference.corr2d(X, K)
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            assert Y[i, j] == pytest.approx(np.sum(X[i : i + 3, j : j + 2] * K))


@pytest.mark.parametrize("shape, kernel, expected", [
    ((3, 3), (2, 2), (2, 2)), ((6, 8), (1, 2), (6, 7)), ((4, 5), (4, 5), (1, 1)),
])
def test_output_shape_rule(shape, kernel, expected):
    assert shapes.corr2d_output_shape(shape, kernel) == expected


@pytest.mark.parametrize("shape, kernel", [((2, 2), (3, 1)), ((2, 2), (1, 3)), ((0, 2), (1, 1)), ((3,), (1, 1))])
def test_output_shape_rule_rejects(shape, kernel):
    with pytest.raises(ValueError):
        shapes.corr2d_output_shape(shape, kernel)


def test_gradients_match_central_finite_differences():
    rng = np.random.default_rng(2)
    X, K, G = rng.standard_normal((4, 5)), rng.standard_normal((2, 3)), rng.standard_normal((3, 3))
    dX, dK, db = reference.corr2d_grads(X, K, G)

    def f(X, K):
        return np.sum(G * reference.corr2d(X, K))

    h = 1e-6
    for array, grad, which in ((X, dX, 0), (K, dK, 1)):
        for index in np.ndindex(array.shape):
            plus, minus = array.copy(), array.copy()
            plus[index] += h
            minus[index] -= h
            args_plus = (plus, K) if which == 0 else (X, plus)
            args_minus = (minus, K) if which == 0 else (X, minus)
            numeric = (f(*args_plus) - f(*args_minus)) / (2 * h)
            assert grad[index] == pytest.approx(numeric, abs=1e-7)
    assert db == pytest.approx(G.sum())


def test_lesson_learning_loop_recovers_the_edge_kernel():
    X = edge_image()
    Y = reference.corr2d(X, np.array([[1.0, -1.0]]))
    losses, K = reference.learn(X, Y, np.array([[0.2, -0.1]]), 0.03, 10, "builtin")
    assert len(losses) == 10
    assert all(later < earlier for earlier, later in zip(losses, losses[1:]))
    np.testing.assert_allclose(K, [[1, -1]], atol=0.05)
    # losses[0] is taken before the first update: the loss of K_init itself.
    assert losses[0] == pytest.approx(np.sum((reference.corr2d(X, np.array([[0.2, -0.1]])) - Y) ** 2))


def test_every_builtin_case_meets_its_expectation(builtin_cases):
    from conformance.compare import compare

    outcome = compare([], builtin_cases)
    assert outcome.ok, outcome.failures


@pytest.mark.parametrize("raw", [c for c in cases.load() if "error" in c.get("expect", {})],
                         ids=lambda c: c["id"])
def test_error_cases_raise_the_contract_exception_in_numpy(raw):
    expected = {"ValueError": ValueError, "TypeError": TypeError}[raw["expect"]["error"]]
    with pytest.raises(expected) as info:
        cases.parse(raw)
    assert type(info.value) is expected
