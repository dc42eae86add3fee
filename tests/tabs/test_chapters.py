"""The chapters written for tabs (course/chapter/tabs/): each planted disagreement is
reported, at its step and tab, and nothing else is. Each chapter says what it plants."""

import pytest

AGREEING = ("agree", "one tab")


def _steps(doc):
    return {step["step"]: step for step in doc["steps"]}


def _disagreeing(step):
    return sorted(tab for tab, cell in step["cells"].items() if cell["disagrees"])


def _only_these_disagree(doc, planted):
    """{step: [tabs]} planted; every other step agrees, in every tab."""
    for number, step in _steps(doc).items():
        if number in planted:
            assert step["status"] == "disagree", step
            assert _disagreeing(step) == sorted(planted[number]), step
        else:
            assert step["status"] in AGREEING and not _disagreeing(step), step


def test_a_shape_that_differs_in_one_tab(chapter):
    status, doc, _ = chapter("shape-differs")
    assert (status, doc["verdict"]) == (1, "DISAGREE")
    assert [t["tab"] for t in doc["tabs"] if t["state"] == "ran"] == ["mxnet", "pytorch", "jax", "numpy"]
    _only_these_disagree(doc, {3: ["jax"]})
    step = _steps(doc)[3]
    assert step["cells"]["jax"]["reason"] == "shape (2, 1) vs (2, 2)"
    assert "float32 (2, 2) [[19. 25.] [37. 43.]]" in step["line_text"]
    assert _steps(doc)[4]["line_text"] == "shape (3, 3)"


def test_a_value_that_differs_in_one_tab(chapter):
    status, doc, _ = chapter("value-differs")
    assert (status, doc["verdict"]) == (1, "DISAGREE")
    _only_these_disagree(doc, {4: ["mxnet"]})
    reason = _steps(doc)[4]["cells"]["mxnet"]["reason"]
    # the worst element relative to its tolerance: 1 - 2 = -1 where the others have 1 - 1 = 0
    assert reason.startswith("-1.0 vs 0.0 at (0, 0) (beyond the tolerance "), reason
    assert "beyond the tolerance" in reason and "of float32" in reason
    assert _steps(doc)[3]["line_text"] == "no value shown"


def test_a_random_value_whose_shape_agrees(chapter):
    status, doc, _ = chapter("random-shape-agrees")
    assert (status, doc["verdict"]) == (0, "AGREE")
    _only_these_disagree(doc, {})
    drawn = _steps(doc)[2]
    assert sorted(drawn["random"]) == ["numpy", "paddle", "pytorch"]
    assert "only shapes compared" in drawn["line_text"]
    assert all(cell["shown"].startswith("float32 (1, 2)") for cell in drawn["cells"].values())
    assert _steps(doc)[3]["random"] == [] and _steps(doc)[3]["line_text"] == "float32 (1, 2) [[1. 1.]]"


def test_a_step_that_raises_in_one_tab(chapter):
    status, doc, _ = chapter("step-raises")
    assert (status, doc["verdict"]) == (1, "DISAGREE")
    _only_these_disagree(doc, {3: ["pytorch"], 4: ["pytorch"]})
    error = _steps(doc)[3]["cells"]["pytorch"]["error"]
    assert error["type"] == "RuntimeError" and "invalid for input of size 48" in error["message"]
    assert error["where"] == "line 41 of step-raises.md"
    assert _steps(doc)[3]["line_text"].startswith("pytorch raises, mxnet, numpy do not: pytorch: RuntimeError")
    assert _steps(doc)[4]["cells"]["pytorch"]["error"]["type"] == "NameError"
    assert _steps(doc)[2]["line_text"].endswith("() 24.0")  # a 0-d sum stays 0-d in every tab


def test_a_step_only_three_tabs_have_and_a_tab_without_a_backend(chapter):
    status, doc, _ = chapter("three-tabs")
    assert (status, doc["verdict"]) == (0, "AGREE")
    _only_these_disagree(doc, {})
    assert {t["tab"]: t["state"] for t in doc["tabs"]} == {
        "mxnet": "ran", "pytorch": "ran", "jax": "ran", "numpy": "ran", "tvm": "no backend"}
    three = _steps(doc)[3]
    assert three["tabs"] == ["mxnet", "pytorch", "numpy"] and three["missing"] == ["jax"]
    assert three["line_text"] == "shape (8, 6); only in mxnet, pytorch, numpy (not in jax)"
    assert _steps(doc)[4]["tabs"] == ["mxnet", "pytorch", "jax", "numpy"]


@pytest.mark.parametrize("name", ["shape-differs", "step-raises"])
def test_one_line_per_step_then_the_verdict_on_stderr_with_json(chapter, name):
    _, doc, err = chapter(name)
    lines = [line for line in err.splitlines() if line.startswith(("step ", "tabs: "))]
    assert len(lines) == len(doc["steps"]) + 1
    assert lines[-1].startswith(f"tabs: {doc['verdict']}: ")
    assert all(line.startswith(f"step {s['step']} (line {s['line']}): ") for line, s in zip(lines, doc["steps"]))
