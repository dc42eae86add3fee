"""tabs' judge on values made here (no sandbox): the tolerance is the suite's, a random value
is compared by its shape, a tab that raises disagrees, and the odd tab out is the one named."""

import numpy as np
import pytest
from convsuite.conformance.tabs import judge
from convsuite.spec import tolerance


def _array(values, dtype="float32"):
    return {"kind": "array", "type": "t", "array": np.asarray(values, dtype=dtype)}


def _seen(value, second=None, error=None, printed=""):
    first = {"value": value, "error": error, "printed": printed}
    return [first, {"value": second if second is not None else value, "error": None, "printed": printed}]


def _bound(value, dtype="float32", n=1):
    return 2 * tolerance.gamma(n + 2, dtype) * abs(value) + 2 * tolerance.TINY[dtype]


@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_a_value_inside_the_derived_tolerance_agrees_and_one_past_it_does_not(dtype):
    # 100 elements: n = 100, a bound of many units in the last place, so that rounding the
    # planted value to the dtype moves it by far less than the 1% margin
    base, n = 19.0, 100
    values = np.full(n, base)
    inside, past = values.copy(), values.copy()
    inside[7] += 0.99 * _bound(base, dtype, n)
    past[7] += 10 * _bound(base, dtype, n)
    assert judge.differ(_array(values, dtype), _array(inside, dtype)) is None
    assert f"at (7,) (beyond the tolerance" in judge.differ(_array(values, dtype), _array(past, dtype))
    assert f"of {dtype})" in judge.differ(_array(values, dtype), _array(past, dtype))


def test_float32_against_float64_is_judged_at_float32():
    exact = _array([[19.0, 25.0]], "float64")
    near = _array([[19.0, 25.0 + 0.5 * _bound(25.0, "float32", n=2)]], "float64")
    assert judge.differ(exact, near) is not None  # float64 against float64: far beyond its bound
    assert judge.differ(exact, _array([[19.0, 25.0]], "float32")) is None
    assert judge.differ(_array([[19.0, 25.0]], "float32"), near) is None


def test_shapes_dtype_kinds_nan_and_infinity_must_match_exactly():
    assert judge.differ(_array([[1.0, 2.0]]), _array([[1.0], [2.0]])) == "shape (2, 1) vs (1, 2)"
    assert judge.differ(_array([1, 2], "int64"), _array([1.0, 2.0])).startswith("float (float32) vs signed integer")
    assert judge.differ(_array([np.nan]), _array([np.nan])) is None
    assert judge.differ(_array([np.nan]), _array([1.0])) is not None
    assert judge.differ(_array([np.inf]), _array([-np.inf])) is not None
    assert judge.differ(_array([3], "int32"), _array([4], "int64")) == "4 vs 3 at (0,)"


def test_shapes_tuples_and_text():
    shape = {"kind": "shape", "type": "torch.Size", "dims": [1, 1, 6, 8]}
    assert judge.differ(shape, {**shape, "dims": [1, 6, 8, 1]}) == "shape (1, 6, 8, 1) vs shape (1, 1, 6, 8)"
    pair = {"kind": "tuple", "type": "tuple", "items": [shape, _array([1.0])]}
    other = {"kind": "tuple", "type": "tuple", "items": [shape, _array([2.0])]}
    assert judge.differ(pair, other).startswith("item 1: ")
    text = {"kind": "text", "type": "str", "text": "a"}
    assert judge.differ(text, {**text, "text": "b"}) == "text 'b' vs 'a'"
    assert judge.differ(text, shape).endswith("where the others show 'a'")


def test_the_odd_tab_out_is_named_and_the_others_agree():
    seen = {"mxnet": _seen(_array([1.0])), "pytorch": _seen(_array([1.0])), "jax": _seen(_array([2.0]))}
    step = judge.step(1, 10, having=list(seen), missing=[], seen=seen)
    assert step["status"] == judge.DISAGREE
    assert [t for t, c in step["cells"].items() if c["disagrees"]] == ["jax"]


def test_two_tabs_that_differ_are_both_named():
    seen = {"mxnet": _seen(_array([1.0])), "pytorch": _seen(_array([2.0]))}
    step = judge.step(1, 10, having=list(seen), missing=[], seen=seen)
    assert sorted(t for t, c in step["cells"].items() if c["disagrees"]) == ["mxnet", "pytorch"]


def test_a_value_that_changes_between_runs_is_random_and_only_its_shape_is_compared():
    seen = {"numpy": _seen(_array([[0.1, 0.2]]), _array([[0.3, 0.4]])),
            "pytorch": _seen(_array([[0.5, 0.6]]), _array([[0.7, 0.8]]))}
    step = judge.step(2, 20, having=list(seen), missing=[], seen=seen)
    assert step["status"] == judge.AGREE and step["random"] == ["numpy", "pytorch"]
    assert "only shapes compared" in step["line_text"]
    seen["pytorch"] = _seen(_array([0.5, 0.6]), _array([0.7, 0.8]))
    planted = judge.step(2, 20, having=list(seen), missing=[], seen=seen)  # a random value of another shape still disagrees
    assert planted["status"] == judge.DISAGREE


def test_a_step_that_raises_in_one_tab_disagrees_and_in_every_tab_is_an_error():
    error = {"type": "ValueError", "message": "no", "where": "line 3 of c.md"}
    seen = {"mxnet": _seen(_array([1.0])), "pytorch": _seen(None, error=error)}
    seen["pytorch"][0]["value"] = seen["pytorch"][1]["value"] = {"kind": "none", "type": "None"}
    step = judge.step(3, 30, having=list(seen), missing=[], seen=seen)
    assert step["status"] == judge.DISAGREE and step["cells"]["pytorch"]["disagrees"]
    assert "pytorch raises, mxnet does not: pytorch: ValueError: no at line 3 of c.md" in step["line_text"]
    seen["mxnet"] = seen["pytorch"]
    assert judge.step(3, 30, having=list(seen), missing=[], seen=seen)["status"] == judge.ERROR


def test_a_tab_that_shows_nothing_is_listed_not_compared():
    none = {"kind": "none", "type": "builtins.NoneType"}
    seen = {"mxnet": _seen(_array([1.0])), "pytorch": _seen(_array([1.0])), "tensorflow": _seen(none)}
    step = judge.step(4, 40, having=list(seen), missing=["jax"], seen=seen)
    assert step["status"] == judge.AGREE and step["no_value"] == ["tensorflow"]
    assert step["line_text"] == ("float32 (1,) [1.]; no value shown in tensorflow; only in mxnet, pytorch, "
                                 "tensorflow (not in jax)")
