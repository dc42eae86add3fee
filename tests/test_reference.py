"""The float64 reference reproduces the lessons and agrees with first principles."""

import numpy as np
import pytest

from spec import cases, reference, shapes, tolerance
from planting import messages

LESSON_X = np.arange(9.0).reshape(3, 3)
LESSON_K = np.array([[0.0, 1.0], [2.0, 3.0]])


def edge_image():
    X = np.ones((6, 8))
    X[:, 2:6] = 0
    return X


def by_definition(X, K, padding, stride, dilation):
    """Y[n, o, i, j] = sum_{c,a,b} Xpad[n, c, i*sh + a*dh, j*sw + b*dw] * K[o, c, a, b]."""
    g = shapes.conv_geometry(X.shape, K.shape, padding, stride, dilation)
    x = np.pad(X.reshape(g.x4), ((0, 0), (0, 0)) + g.padding)
    k = K.reshape(g.k4)
    (sh, sw), (dh, dw) = g.stride, g.dilation
    Y = np.zeros(g.out4)
    for n, o, i, j in np.ndindex(*g.out4):
        for c, a, b in np.ndindex(*g.k4[1:]):
            Y[n, o, i, j] += x[n, c, i * sh + a * dh, j * sw + b * dw] * k[o, c, a, b]
    return Y.reshape(g.out_shape)


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
    X, K = rng.standard_normal((2, 3, 5, 6)), rng.standard_normal((4, 3, 2, 3))
    np.testing.assert_allclose(reference.conv2d(X, K, 1, 2), reference.corr2d(X, K[..., ::-1, ::-1], 1, 2))
    assert not np.allclose(reference.conv2d(X, K), reference.corr2d(X, K))


@pytest.mark.parametrize("x_shape, k_shape, padding, stride, dilation", [
    ((5, 7), (3, 2), 0, 1, 1),
    ((5, 7), (3, 2), ((1, 0), (2, 1)), (2, 3), (1, 2)),
    ((3, 6, 5), (3, 2, 2), (1, 1), 1, (2, 1)),
    ((3, 6, 5), (2, 3, 3, 3), ((2, 0), (0, 1)), (2, 1), 1),
    ((2, 3, 7, 9), (4, 3, 3, 2), ((1, 0), (2, 1)), (2, 3), (1, 2)),
])
def test_reference_matches_the_definition_element_by_element(x_shape, k_shape, padding, stride, dilation):
    rng = np.random.default_rng(1)
    X, K = rng.standard_normal(x_shape), rng.standard_normal(k_shape)
    np.testing.assert_allclose(reference.corr2d(X, K, padding, stride, dilation),
                               by_definition(X, K, padding, stride, dilation), atol=1e-12)


@pytest.mark.parametrize("x_shape, k_shape, kwargs, expected", [
    ((3, 3), (2, 2), {}, (2, 2)),
    ((6, 8), (1, 2), {}, (6, 7)),
    ((5, 6), (3, 3), {"padding": 1}, (5, 6)),
    ((4, 5), (2, 2), {"padding": ((1, 0), (0, 1))}, (4, 5)),
    ((7, 8), (3, 2), {"stride": (2, 3)}, (3, 3)),
    ((9, 11), (2, 2), {"stride": 2, "dilation": (2, 3)}, (4, 4)),
    ((3, 5, 6), (3, 3, 3), {}, (3, 4)),
    ((3, 5, 6), (2, 3, 3, 3), {"padding": 1}, (2, 5, 6)),
    ((4, 3, 6, 7), (2, 3, 3, 2), {"padding": ((1, 0), (0, 1)), "stride": (2, 1)}, (4, 2, 3, 7)),
])
def test_output_shape_rule(x_shape, k_shape, kwargs, expected):
    assert shapes.conv_geometry(x_shape, k_shape, **kwargs).out_shape == expected
    assert reference.corr2d(np.ones(x_shape), np.ones(k_shape), **kwargs).shape == expected


@pytest.mark.parametrize("x_shape, k_shape, kwargs, error", [
    ((2, 2), (3, 1), {}, ValueError),
    ((2, 2), (3, 3), {"padding": (0, 1)}, ValueError),
    ((3, 3), (1, 2), {"dilation": (1, 3)}, ValueError),
    ((2, 3, 3), (3, 2, 2), {}, ValueError),
    ((1, 2, 3, 3), (2, 2, 2), {}, ValueError),
    ((3, 3), (1, 1, 2, 2), {}, ValueError),
    ((3,), (1, 1), {}, ValueError),
    ((3, 3), (1, 1), {"stride": 0}, ValueError),
    ((3, 3), (1, 1), {"padding": -1}, ValueError),
    ((3, 3), (1, 1), {"padding": (1, 1, 1)}, ValueError),
    ((3, 3), (1, 1), {"stride": 1.5}, TypeError),
    ((3, 3), (1, 1), {"dilation": True}, TypeError),
])
def test_output_shape_rule_rejects(x_shape, k_shape, kwargs, error):
    with pytest.raises(error):
        shapes.conv_geometry(x_shape, k_shape, **kwargs)


def test_bias_broadcasts_on_the_channel_axis():
    g = shapes.conv_geometry((4, 3, 5, 5), (2, 3, 3, 3))
    assert g.bias_shape == (1, 2, 1, 1)
    assert shapes.conv_geometry((3, 5, 5), (2, 3, 3, 3)).bias_shape == (2, 1, 1)
    assert shapes.conv_geometry((3, 5, 5), (3, 3, 3)).bias_shape == (1, 1)
    Y = reference.layer_forward(np.zeros((4, 3, 5, 5)), np.zeros((2, 3, 3, 3)), np.array([1.0, -2.0]))
    assert (Y[:, 0] == 1).all() and (Y[:, 1] == -2).all()


# Finite differences need finite inputs; the special-* cases hold NaN and inf on purpose.
GRAD_CASES = [c for c in cases.load() if c["op"] == "grad" and "error" not in c.get("expect", {})
              and np.isfinite(cases.parse(c).inputs["X"]).all()]


@pytest.mark.parametrize("raw", GRAD_CASES, ids=lambda c: c["id"])
def test_reference_gradients_match_central_finite_differences(raw):
    """sum(G * (corr2d(X, K) + bias)) is linear in each of X, K and the bias, so a central
    difference with h = 1 is exact but for float64 rounding, which `tolerance` bounds."""
    case = cases.parse({**raw, "dtype": "float64"})
    inputs = {k: v for k, v in case.inputs.items()}
    geometry = {k: inputs.pop(k) for k in ("padding", "stride", "dilation")}
    G = inputs.pop("G")

    def f(**changed):
        args = {**inputs, **changed}
        return np.sum(G * reference.layer_forward(args["X"], args["K"], args["bias"], **geometry))

    analytic = dict(zip(("X", "K", "bias"), reference.grad(**inputs, G=G, **geometry)))
    m, terms = G.size, np.prod(case.geometry.k4[1:]) + 1
    magnitude = np.sum(np.abs(G) * reference.layer_forward(
        np.abs(inputs["X"]) + 1, np.abs(inputs["K"]) + 1, np.abs(inputs["bias"]) + 1, **geometry))
    allowed = tolerance.gamma(terms + m + 2, "float64") * magnitude
    for name, array in (("X", inputs["X"]), ("K", inputs["K"]), ("bias", inputs["bias"])):
        for index in np.ndindex(array.shape):
            plus, minus = array.copy(), array.copy()
            plus[index] += 1.0
            minus[index] -= 1.0
            numeric = (f(**{name: plus}) - f(**{name: minus})) / 2
            assert abs(analytic[name][index] - numeric) <= allowed, (name, index)


def lesson_learn(layer="builtin", **changes):
    raw = next(c for c in cases.load() if c["id"] == f"learn-edge-{layer}")
    case = cases.parse({**raw, "dtype": "float64", **changes})
    return reference.learn(**case.inputs)


def test_lesson_learning_loop_recovers_the_edge_kernel():
    losses, K, bias = lesson_learn()
    assert len(losses) == 10
    assert all(later < earlier for earlier, later in zip(losses, losses[1:]))
    np.testing.assert_allclose(K, [[1, -1]], atol=0.05)
    np.testing.assert_array_equal(bias, [0.0])  # not learned
    Y = reference.corr2d(edge_image(), np.array([[1.0, -1.0]]))
    # losses[0] is taken before the first update: the loss of K_init itself.
    assert losses[0] == pytest.approx(np.sum((reference.corr2d(edge_image(), np.array([[0.2, -0.1]])) - Y) ** 2))


def test_learning_the_bias_recovers_it():
    raw = next(c for c in cases.load() if c["id"] == "learn-edge-with-bias-builtin")
    case = cases.parse({**raw, "dtype": "float64", "steps": 400})
    _, K, bias = reference.learn(**case.inputs)
    np.testing.assert_allclose(K, [[1, -1]], atol=1e-3)
    np.testing.assert_allclose(bias, [0.5], atol=1e-3)


def test_every_builtin_case_meets_its_expectation(builtin_cases):
    from conformance.harness.compare import compare

    outcome = compare([], builtin_cases)
    assert outcome.ok, messages(outcome)


@pytest.mark.parametrize("raw", [c for c in cases.load() if "error" in c.get("expect", {})],
                         ids=lambda c: c["id"])
def test_error_cases_raise_the_contract_exception_in_numpy(raw):
    expected = {"ValueError": ValueError, "TypeError": TypeError}[raw["expect"]["error"]]
    with pytest.raises(expected) as info:
        cases.parse(raw)
    assert type(info.value) is expected
