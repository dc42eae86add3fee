"""Hypothesis strategies that write ordinary cases (dicts in the case format).

Shapes, geometry (padding explicit or by name, stride, dilation, groups, padding modes),
dtypes and the kind of values are drawn by Hypothesis (so it can shrink them); the values
themselves come from a NumPy generator seeded by a drawn integer. Values stay where the
contract holds: products and sums within the dtype's range (no overflow), learning rates
that keep the loop from diverging.
"""

import dataclasses

import numpy as np
from hypothesis import strategies as st

OPS = ("corr2d", "conv2d", "layer", "grad", "learn")
VALUE_KINDS = ("normal", "integers", "mixed", "tiny", "huge", "subnormal", "special")


def _values(rng, shape, *, kind, dtype, role):
    """An array for `role` ("X" or "K") of the given kind of values."""
    if kind == "integers":
        return rng.integers(-20, 21, shape).astype(float)
    if kind == "mixed":
        return rng.choice([-1, 1], shape) * 10.0 ** rng.uniform(-8, 8, shape)
    if kind == "tiny":
        return rng.standard_normal(shape) * 1e-20
    if kind == "huge":
        return rng.standard_normal(shape) * 1e12
    if kind == "subnormal" and role == "X":
        tiny = 1e-41 if dtype == "float32" else 1e-312
        return np.where(rng.random(shape) < 0.5, rng.standard_normal(shape) * tiny, rng.standard_normal(shape))
    values = rng.uniform(-4, 4, shape)
    if kind == "special" and role == "X":
        values[rng.random(shape) < 0.1] = np.nan
        values[rng.random(shape) < 0.1] = rng.choice([-np.inf, np.inf])
    return values


@st.composite
def _axis(draw):
    """(input size, kernel size, (before, after) padding, stride, dilation) for one axis."""
    k = draw(st.integers(1, 5))
    dilation = draw(st.sampled_from([1, 1, 1, 2, 3]))
    before = draw(st.sampled_from([0, 0, 0, 1, 2, 3]))
    after = draw(st.sampled_from([before, before, 0, 1, 3]))
    stride = draw(st.sampled_from([1, 1, 2, 3, 4]))
    span = dilation * (k - 1) + 1
    size = max(1, span - before - after) + draw(st.sampled_from([0, 0, 1, 2, 5, 8, 12, 24, 31]))
    return size, k, (before, after), stride, dilation


@st.composite
def _channels(draw, pairing):
    """(groups, C_in, C_out): groups (depthwise among them) only where X and K have channels."""
    groups = draw(st.sampled_from([1, 1, 1, 2, 3])) if pairing in ((3, 4), (4, 4)) else 1
    if groups == 1:
        return 1, draw(st.integers(1, 4)), draw(st.integers(1, 4))
    if draw(st.booleans()):  # depthwise
        return groups, groups, groups
    return groups, groups * draw(st.integers(1, 2)), groups * draw(st.integers(1, 2))


@st.composite
def _padding_mode(draw, x_shape, k_shape, geometry):
    """A padding mode the drawn padding allows (zeros half of the time)."""
    from convsuite.spec import shapes

    g = shapes.conv_geometry(x_shape, k_shape, geometry)
    allowed = []
    for mode in shapes.PADDING_MODES[1:]:
        try:
            allowed.append(shapes.check_padding_mode(mode, g.x4[2:], g.padding))
        except ValueError:
            pass
    return draw(st.sampled_from(["zeros"] * len(allowed) + allowed or ["zeros"]))


@st.composite
def _shapes(draw):
    """X and K shapes of one of the four rank pairings, with their geometry."""
    from convsuite.spec import shapes

    (h, kh, pad_h, sh, dh), (w, kw, pad_w, sw, dw) = draw(_axis()), draw(_axis())
    n = draw(st.integers(1, 4))
    pairing = draw(st.sampled_from([(2, 2), (3, 3), (3, 4), (4, 4)]))
    groups, c_in, c_out = draw(_channels(pairing))
    x_shape = {2: (h, w), 3: (c_in, h, w), 4: (n, c_in, h, w)}[pairing[0]]
    k_shape = {2: (kh, kw), 3: (c_in, kh, kw), 4: (c_out, c_in // groups, kh, kw)}[pairing[1]]
    fits = all(size >= d * (k - 1) + 1 for size, k, d in ((h, kh, dh), (w, kw, dw)))  # a window without padding
    padding = draw(st.sampled_from([[list(pad_h), list(pad_w)]] * 6 + ["same"] + ["valid"] * fits))
    geometry = shapes.Geometry(padding=padding, stride=[sh, sw], dilation=[dh, dw], groups=groups)
    geometry = dataclasses.replace(geometry, padding_mode=draw(_padding_mode(x_shape, k_shape, geometry)))
    return x_shape, k_shape, geometry


def _stable_learning_rate(X, k_shape, *, out_size, rng):
    """A learning rate below 1 / (2 * lambda_max(A^T A)), bounded by ||A||_1 * ||A||_inf."""
    largest = float(np.max(np.abs(X))) or 1.0
    row_sum = largest * np.prod(k_shape[-3:] if len(k_shape) > 2 else k_shape) + 1.0
    col_sum = largest * out_size + out_size
    return float(rng.uniform(0.05, 0.9) / (2 * row_sum * col_sum))


@st.composite
def cases(draw, op=None):
    """One raw case of a random op, shape, geometry, dtype and kind of values."""
    from convsuite.spec import reference, shapes  # the reference computes learn targets

    op = op or draw(st.sampled_from(OPS))
    dtype = draw(st.sampled_from(["float32", "float64"]))
    kind = "normal" if op == "learn" else draw(st.sampled_from(VALUE_KINDS))
    x_shape, k_shape, geometry = draw(_shapes())
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    X, K = (_values(rng, shape, kind=kind, dtype=dtype, role=role) for shape, role in ((x_shape, "X"), (k_shape, "K")))
    g = shapes.conv_geometry(x_shape, k_shape, geometry)
    bias = np.round(rng.uniform(-2, 2, g.k4[0]), 3)
    case = {"id": "fuzz", "op": op, "dtype": dtype, "X": X.tolist(), **dataclasses.asdict(geometry)}
    if op in ("corr2d", "conv2d"):
        case["K"] = K.tolist()
    elif op == "layer":
        case.update(weight=K.tolist(), bias=bias.tolist())
    elif op == "grad":
        case.update(K=K.tolist(), bias=bias.tolist(), G=rng.standard_normal(g.out_shape).tolist())
    else:
        target = reference.layer_forward(X, rng.standard_normal(k_shape), bias, geometry=g.settings)
        case.update(
            Y=target.tolist(), K_init=(rng.standard_normal(k_shape) * 0.5).tolist(),
            bias=draw(st.sampled_from([0.0, bias.tolist()])), learn_bias=draw(st.booleans()),
            lr=_stable_learning_rate(X, k_shape, out_size=int(np.prod(g.out4[0:1] + g.out4[2:])), rng=rng),
            steps=draw(st.integers(1, 8)), layer=draw(st.sampled_from(["builtin", "custom"])),
        )
    return case

