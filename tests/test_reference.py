"""The float64 reference reproduces the lessons and agrees with first principles."""

import numpy as np
import pytest

from convsuite.spec import cases, reference, shapes, tolerance
from planting import messages

LESSON_X = np.arange(9.0).reshape(3, 3)
LESSON_K = np.array([[0.0, 1.0], [2.0, 3.0]])


def edge_image():
    X = np.ones((6, 8))
    X[:, 2:6] = 0
    return X


def by_definition(X, K, geometry):
    """Y[n, o, i, j] = sum_{c,a,b} Xpad[n, g(o)*C_in/G + c, i*sh + a*dh, j*sw + b*dw] * K[o, c, a, b],
    g(o) = o // (C_out/G), Xpad read through spec.shapes' padded_indices (None: a zero)."""
    g = shapes.conv_geometry(X.shape, K.shape, geometry)
    x, k = X.reshape(g.x4), K.reshape(g.k4)
    rows, cols = (shapes.padded_indices(n, pads, g.padding_mode) for n, pads in zip(g.x4[2:], g.padding))
    (sh, sw), (dh, dw) = g.stride, g.dilation
    per_in, per_out = g.x4[1] // g.groups, g.k4[0] // g.groups
    Y = np.zeros(g.out4)
    for n, o, i, j in np.ndindex(*g.out4):
        for c, a, b in np.ndindex(*g.k4[1:]):
            row, col = rows[i * sh + a * dh], cols[j * sw + b * dw]
            if row is not None and col is not None:
                Y[n, o, i, j] += x[n, o // per_out * per_in + c, row, col] * k[o, c, a, b]
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
    np.testing.assert_allclose(reference.conv2d(X, K, shapes.Geometry(padding=1, stride=2)),
                               reference.corr2d(X, K[..., ::-1, ::-1], shapes.Geometry(padding=1, stride=2)))
    assert not np.allclose(reference.conv2d(X, K), reference.corr2d(X, K))


@pytest.mark.parametrize("x_shape, k_shape, padding, stride, dilation, groups, padding_mode", [
    ((5, 7), (3, 2), 0, 1, 1, 1, "zeros"),
    ((5, 7), (3, 2), ((1, 0), (2, 1)), (2, 3), (1, 2), 1, "zeros"),
    ((3, 6, 5), (3, 2, 2), (1, 1), 1, (2, 1), 1, "zeros"),
    ((3, 6, 5), (2, 3, 3, 3), ((2, 0), (0, 1)), (2, 1), 1, 1, "zeros"),
    ((2, 3, 7, 9), (4, 3, 3, 2), ((1, 0), (2, 1)), (2, 3), (1, 2), 1, "zeros"),
    ((2, 4, 6, 7), (6, 2, 3, 2), ((1, 0), (2, 1)), (2, 1), (1, 2), 2, "zeros"),
    ((3, 5, 6), (3, 1, 2, 3), "same", (2, 3), 1, 3, "zeros"),
    ((5, 7), (3, 2), ((2, 1), (0, 3)), 1, (1, 2), 1, "reflect"),
    ((2, 5, 4), (3, 2, 2, 2), ((4, 0), (1, 5)), (1, 2), 1, 1, "replicate"),
    ((2, 2, 4, 5), (4, 1, 3, 3), ((4, 1), (2, 5)), 2, 1, 2, "circular"),
    ((3, 6, 7), (3, 1, 3, 3), "same", 2, (2, 1), 3, "reflect"),
])
def test_reference_matches_the_definition_element_by_element(x_shape, k_shape, padding, stride, dilation, groups,
                                                              padding_mode):
    rng = np.random.default_rng(1)
    X, K = rng.standard_normal(x_shape), rng.standard_normal(k_shape)
    geometry = shapes.Geometry(padding=padding, stride=stride, dilation=dilation, groups=groups,
                               padding_mode=padding_mode)
    np.testing.assert_allclose(reference.corr2d(X, K, geometry), by_definition(X, K, geometry), atol=1e-12)


@pytest.mark.parametrize("mode", shapes.PADDING_MODES)
def test_padded_indices_are_what_np_pad_copies(mode):
    """spec.shapes states where each padded position reads from; the reference pads with
    np.pad's modes: the two agree wherever the mode allows the padding."""
    for n in range(1, 6):
        for before in range(0, 8):
            for after in range(0, 8):
                try:
                    shapes.check_padding_mode(mode, (n, n), ((before, after), (before, after)))
                except ValueError:
                    assert mode in ("reflect", "circular") and max(before, after) >= n
                    continue
                stated = [-1 if i is None else i for i in shapes.padded_indices(n, (before, after), mode)]
                assert stated == list(reference._sources(n, (before, after), mode)), (n, before, after)


def test_the_padding_modes_on_one_row():
    row = np.array([[1.0, 2.0, 3.0, 4.0]])
    padded = {mode: reference.corr2d(row, np.ones((1, 1)), shapes.Geometry(padding=((0, 0), (2, 3)),
                                                                            padding_mode=mode))[0].tolist()
              for mode in shapes.PADDING_MODES}
    assert padded == {"zeros": [0, 0, 1, 2, 3, 4, 0, 0, 0], "reflect": [3, 2, 1, 2, 3, 4, 3, 2, 1],
                      "replicate": [1, 1, 1, 2, 3, 4, 4, 4, 4], "circular": [3, 4, 1, 2, 3, 4, 1, 2, 3]}


@pytest.mark.parametrize("n, k, stride, dilation, expected", [
    (5, 3, 1, 1, (1, 1)), (5, 2, 1, 1, (0, 1)), (7, 4, 2, 1, (1, 2)), (8, 3, 3, 1, (0, 1)),
    (10, 5, 3, 1, (2, 2)), (9, 2, 2, 2, (1, 1)), (8, 3, 2, 3, (2, 3)), (6, 1, 4, 1, (0, 0)), (4, 5, 1, 1, (2, 2)),
])
def test_same_padding_puts_the_extra_row_after(n, k, stride, dilation, expected):
    """"same": ceil(n / s) outputs, the padding split as SAME_UPPER (TensorFlow, ONNX)."""
    assert shapes.same_padding(n, k, stride=stride, dilation=dilation) == expected
    g = shapes.conv_geometry((n, n), (k, k), shapes.Geometry(padding="same", stride=stride, dilation=dilation))
    assert g.out_shape == (-(-n // stride),) * 2 and g.padding == (expected, expected)


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
    ((4, 6, 7), (6, 2, 3, 3), {"groups": 2}, (6, 4, 5)),
    ((2, 3, 6, 7), (3, 1, 2, 2), {"groups": 3, "padding": "same", "stride": 2}, (2, 3, 3, 4)),
    ((5, 6), (3, 3), {"padding": "valid"}, (3, 4)),
    ((5, 6), (4, 3), {"padding": "same", "stride": (2, 3), "padding_mode": "circular"}, (3, 2)),
])
def test_output_shape_rule(x_shape, k_shape, kwargs, expected):
    geometry = shapes.Geometry(**kwargs)
    assert shapes.conv_geometry(x_shape, k_shape, geometry).out_shape == expected
    assert reference.corr2d(np.ones(x_shape), np.ones(k_shape), geometry).shape == expected


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
    ((4, 3, 3), (2, 2, 1, 1), {"groups": 0}, ValueError),
    ((4, 3, 3), (2, 2, 1, 1), {"groups": -2}, ValueError),
    ((4, 3, 3), (2, 2, 1, 1), {"groups": 2.0}, TypeError),
    ((3, 3, 3), (3, 1, 1, 1), {"groups": 2}, ValueError),
    ((4, 3, 3), (3, 2, 1, 1), {"groups": 2}, ValueError),
    ((4, 3, 3), (2, 4, 1, 1), {"groups": 2}, ValueError),
    ((3, 3), (1, 1), {"groups": 2}, ValueError),
    ((4, 3, 3), (4, 1, 1, 1), {"groups": 2}, ValueError),
    ((3, 3), (1, 1), {"padding": "SAME"}, ValueError),
    ((3, 3), (1, 1), {"padding": 1, "padding_mode": "symmetric"}, ValueError),
    ((3, 3), (1, 1), {"padding": 1, "padding_mode": None}, ValueError),
    ((3, 4), (1, 1), {"padding": ((3, 0), (0, 0)), "padding_mode": "reflect"}, ValueError),
    ((3, 4), (1, 1), {"padding": ((0, 0), (0, 4)), "padding_mode": "reflect"}, ValueError),
    ((3, 4), (1, 1), {"padding": ((0, 4), (0, 0)), "padding_mode": "circular"}, ValueError),
    ((2, 2), (5, 5), {"padding": "same", "padding_mode": "reflect"}, ValueError),
])
def test_output_shape_rule_rejects(x_shape, k_shape, kwargs, error):
    with pytest.raises(error):
        shapes.conv_geometry(x_shape, k_shape, shapes.Geometry(**kwargs))


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
    geometry = inputs.pop("geometry")
    G = inputs.pop("G")

    def f(**changed):
        args = {**inputs, **changed}
        return np.sum(G * reference.layer_forward(args["X"], args["K"], args["bias"], geometry=geometry))

    analytic = dict(zip(("X", "K", "bias"), reference.grad(**inputs, G=G, geometry=geometry)))
    m, terms = G.size, np.prod(case.geometry.k4[1:]) + 1
    magnitude = np.sum(np.abs(G) * reference.layer_forward(
        np.abs(inputs["X"]) + 1, np.abs(inputs["K"]) + 1, np.abs(inputs["bias"]) + 1, geometry=geometry))
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
    from convsuite.conformance.harness.compare import compare

    outcome = compare([], builtin_cases)
    assert outcome.ok, messages(outcome)


@pytest.mark.parametrize("raw", [c for c in cases.load() if "error" in c.get("expect", {})],
                         ids=lambda c: c["id"])
def test_error_cases_raise_the_contract_exception_in_numpy(raw):
    expected = {"ValueError": ValueError, "TypeError": TypeError}[raw["expect"]["error"]]
    with pytest.raises(expected) as info:
        cases.parse(raw)
    assert type(info.value) is expected
