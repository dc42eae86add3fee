"""Regressions of `hints.for_values`, found grading course/students/:

- a mistake is named only where it discriminates: the recomputed wrong result must be close to
  what came back AND not close to the expected output (one closeness rule for both). A corr2d
  that returned zeros on special-subnormal-products-float64 (expected values near 1e-40, so
  the flipped kernel's are near zero too) was told "the kernel is flipped" (student33);
- an output that holds integers (np.zeros(..., dtype=int)) is told so, never that the port
  computes in float32 only (student24).

The hints are computed here directly from the built-in cases, as the judge computes them."""

import numpy as np
import pytest

from convsuite.conformance.check.judging import hints, plan
from convsuite.spec import cases, reference

pytestmark = pytest.mark.check_backend("numpy")


def _case(case_id):
    raw = next(raw for raw in cases.load() if raw["id"] == case_id)
    return plan.parsed(raw), plan.expected(raw)["Y"]


def _made(raw):
    return plan.parsed(raw), plan.expected(raw)["Y"]


def _integer_corr2d(X, K):
    """The lesson's corr2d filling np.zeros(..., dtype=int), as student24 wrote it."""
    h, w = K.shape
    Y = np.zeros((X.shape[0] - h + 1, X.shape[1] - w + 1), dtype=int)
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = (X[i:i + h, j:j + w] * K).sum()
    return Y


def test_zeros_on_a_near_zero_case_are_not_a_flipped_kernel():
    """Expected values near 1e-40: every alternative is close to zeros, none discriminates."""
    case, expected = _case("special-subnormal-products-float64")
    flipped = reference.conv2d(case.inputs["X"].astype(np.float64), case.inputs["K"].astype(np.float64))
    assert not np.array_equal(flipped, expected)  # flipping does change it, below any closeness of a hint
    assert hints.for_values(case, np.zeros_like(expected), expected) is None
    # student33's corr2d (its last row left at zero) on it: the same
    assert hints.for_values(case, np.array([[0.0, 0.0]]), expected) is None


def test_an_alternative_equal_to_the_expected_output_is_not_claimed():
    """A symmetric kernel flipped is the kernel: a result that fails only by its rounding (here
    1e-6 off, beyond the float64 tolerance) is no flipped kernel, nor transposed (square, symmetric)."""
    case, expected = _made({"id": "symmetric", "op": "corr2d", "dtype": "float64",
                            "X": [[1, 2, 1], [2, 5, 2], [1, 2, 1]], "K": [[1, 1], [1, 1]]})
    assert np.array_equal(reference.conv2d(case.inputs["X"], case.inputs["K"]), expected)
    assert np.array_equal(expected, expected.T)
    assert hints.for_values(case, expected + 1e-6, expected) is None


def test_a_flipped_kernel_is_still_named_where_it_discriminates():
    case, expected = _case("corr2d-nonsquare-5x7-k2x3-float64")
    X, K = case.inputs["X"], case.inputs["K"]
    assert hints.for_values(case, reference.conv2d(X, K), expected) == hints.HINTS["flipped"]
    assert hints.for_values(case, np.zeros_like(expected), expected) is None


@pytest.mark.parametrize("case_id", ["corr2d-nonsquare-5x7-k2x3", "corr2d-nonsquare-5x7-k2x3-float64",
                                     "medium-corr2d-64x64-k3x3"])
def test_an_integer_output_is_told_so(case_id):
    case, expected = _case(case_id)
    got = _integer_corr2d(case.inputs["X"], case.inputs["K"])
    hint = hints.for_values(case, got, expected)
    assert hint == hints.HINTS["integer"] and hint != hints.FLOAT32_ONLY
    assert "integers" in hint and "dtype=X.dtype" in hint and "float32" not in hint


def test_a_layer_over_an_integer_corr2d_is_told_so():
    """student24's Conv2D: corr2d's integers, then a float bias."""
    case, expected = _case("layer-nonsquare-5x7-k2x3")
    bias = case.inputs["bias"].reshape(case.geometry.bias_shape)
    got = _integer_corr2d(case.inputs["X"], case.inputs["weight"]) + bias
    assert hints.for_values(case, got, expected) == hints.HINTS["integer"]


def test_whole_numbers_that_are_right_or_all_zero_are_no_integer_output():
    """Where cutting to integers changes nothing (a lesson case of whole numbers) it explains
    nothing, and an output of zeros where every expected value is below 1 is as much an output
    left unfilled: neither is called an integer output."""
    case, expected = _case("corr2d-lesson-3x3-float64")
    assert hints.for_values(case, expected + 0.5, expected) is None
    case, expected = _made({"id": "small", "op": "corr2d", "dtype": "float64",
                            "X": [[0.1, 0.2, 0.3], [0.3, 0.2, 0.1]], "K": [[0.5, 0.25]]})
    assert np.abs(expected).max() < 1
    assert hints.for_values(case, np.zeros_like(expected), expected) is None


def _run_of(outcomes):
    """A run of one corr2d, as the child reports it: {case id: Y values, or an error message}."""
    from types import SimpleNamespace

    subjects = [{"name": "corr2d", "role": "corr2d", "kind": "function", "found": "the lesson's name",
                 "params": [{"name": "X", "kind": "POSITIONAL_OR_KEYWORD", "default": False},
                            {"name": "K", "kind": "POSITIONAL_OR_KEYWORD", "default": False}]}]
    calls, _ = plan.plan_of(subjects, [raw for raw in cases.load() if raw["id"] in outcomes])
    results = {}
    for call in calls:
        outcome = outcomes[call.case["id"]]
        if isinstance(outcome, str):
            results[call.i] = {"i": call.i, "error": {"type": "ValueError", "message": outcome,
                                                            "where": "line 9 of solution.py"}}
        else:
            Y = np.asarray(outcome, np.float64)
            results[call.i] = {"i": call.i, "outputs": {"Y": {
                "form": "tensor", "type": "numpy.ndarray", "dtype": "float64", "shape": list(Y.shape),
                "values": Y.tolist()}}}
    return SimpleNamespace(calls=calls, results=results)


def test_the_float32_only_hint_is_for_a_float64_dtype_error_alone():
    """student24's integer output raises "cannot convert float NaN to integer" on the NaN cases,
    float32 and float64 alike: no float32-only hint. A port that raises a dtype error on float64
    inputs alone, and passes float32 cases, still gets it."""
    from convsuite.conformance.check.judging import judge

    lesson = plan.expected(next(raw for raw in cases.load() if raw["id"] == "corr2d-lesson-3x3"))["Y"]
    nan = "cannot convert float NaN to integer"
    verdicts = judge.judge_run(_run_of({"corr2d-lesson-3x3": lesson, "special-nan-in-input": nan,
                                        "special-nan-in-input-float64": nan}), "numpy")
    assert [v.status for v in verdicts] == ["pass", "error", "error"]
    assert not any(v.hint for v in verdicts)
    only64 = judge.judge_run(_run_of({"corr2d-lesson-3x3": lesson, "special-nan-in-input-float64": nan}), "numpy")
    assert not any(v.hint for v in only64)  # "float" alone names no dtype
    cast = "Cannot cast ufunc 'add' output from dtype('{}') to dtype('int64') with casting rule 'same_kind'"
    verdicts = judge.judge_run(_run_of({"corr2d-lesson-3x3": lesson, "special-nan-in-input": cast.format("float32"),
                                        "special-nan-in-input-float64": cast.format("float64")}), "numpy")
    assert not any(v.hint for v in verdicts)  # a dtype error on float32 inputs too: not float32-only
    dtype = "Tensor conversion requested dtype float32 for Tensor with dtype float64"
    verdicts = judge.judge_run(_run_of({"corr2d-lesson-3x3": lesson, "corr2d-lesson-3x3-float64": dtype}), "numpy")
    assert [v.hint for v in verdicts] == [None, hints.FLOAT32_ONLY]
