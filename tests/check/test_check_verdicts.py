"""check's verdicts on correct code and on results it must name: a grouped case never stops the
run and goes only to a function with a groups parameter, a case the reference cannot compute
goes to no one, a documented framework difference is "known", a float32-only port is told so,
a slow learning loop is not given the large cases, medium inputs are checked, and a result
that holds no numbers is of the wrong type. NumPy targets (course/honest/ and small files
written here), so the NumPy session runs them."""

import json
from types import SimpleNamespace

import numpy as np
import pytest

from checking import COURSE, LESSON, check, subject
from convsuite.conformance.check.judging import hints, judge, plan
from convsuite.spec import cases, differences

pytestmark = pytest.mark.check_backend("numpy")
HONEST = COURSE / "honest"


def _run(target, tmp_path, *options):
    status, out, err, records = check(target, "--backend", "numpy", *options, summary=tmp_path / "summary")
    assert str(target) in records, f"no record (exit {status}):\n{out}\n{err}"
    return status, out, records[str(target)]


def _cases(subject_record, status=None):
    return {v["case"] for v in subject_record["cases"] if status is None or v["status"] == status}


def _skipped(subject_record, case_id):
    found = [n for n in subject_record["not_applicable_cases"] if n["case"] == case_id]
    assert found, f"{case_id} is neither checked nor listed as not applicable"
    return found[0]


def test_grouped_cases_go_only_to_a_function_with_a_groups_parameter(tmp_path):
    status, out, rec = _run(HONEST / "multi_in_out_without_groups.py", tmp_path)
    multi = subject(rec, "corr2d_multi_in_out")
    assert status == 0 and multi["passed"] == multi["applicable"] > 0, out
    assert _skipped(multi, "corr2d-groups-2-4-in-6-out")["group"].startswith("take groups:")
    status, out, rec = _run(HONEST / "multi_in_out_with_groups.py", tmp_path)
    grouped = subject(rec, "corr2d_multi_in_out")
    assert status == 0 and "corr2d-groups-2-4-in-6-out" in _cases(grouped, "pass"), out


def test_a_failing_grouped_case_gets_its_hint_and_never_stops_the_run(tmp_path):
    """The hints recompute the case the wrong way: in its whole geometry, groups too (without
    them the reference raised, and the whole check died)."""
    target = tmp_path / "flipped_groups.py"
    honest = (HONEST / "multi_in_out_with_groups.py").read_text()
    target.write_text(honest.replace("K[o])", "K[o][..., ::-1, ::-1])"))
    status, out, rec = _run(target, tmp_path)
    failures = {v["case"]: v for v in subject(rec, "corr2d_multi_in_out")["failures"]}
    assert status == 1 and "corr2d-groups-2-4-in-6-out" in failures, out
    assert failures["corr2d-groups-2-4-in-6-out"]["hint"] == hints.HINTS["flipped"]


def test_a_broken_case_goes_to_no_one(tmp_path):
    broken = tmp_path / "cases.json"
    broken.write_text(json.dumps({"cases": [
        {"id": "fine", "op": "corr2d", "X": [[1, 2, 3], [4, 5, 6]], "K": [[1, 1]]},
        {"id": "kernel-larger-than-input", "op": "corr2d", "X": [[1, 2]], "K": [[1, 1, 1]]}]}))
    target = tmp_path / "lesson.py"
    target.write_text(LESSON)
    status, out, rec = _run(target, tmp_path, "--cases", broken)
    corr2d = subject(rec, "corr2d")
    assert status == 0 and _cases(corr2d) == {"fine"}, out
    assert "no window fits" in _skipped(corr2d, "kernel-larger-than-input")["reason"]


def test_a_case_the_reference_cannot_compute_is_planned_for_no_one(monkeypatch):
    """A valid case whose reference raises (none of the built-in ones) is left out with the
    reference's error, and so is any case whose planning fails: the plan never raises."""
    subjects = [{"name": "corr2d", "role": "corr2d", "kind": "function", "found": "", "params": []}]
    chosen = [raw for raw in cases.load() if raw["id"] in ("corr2d-lesson-3x3", "corr2d-lesson-3x3-float64")]
    monkeypatch.setattr(plan, "expected", lambda raw: {"id": raw["id"], "error": {"type": "ValueError",
                                                                                 "message": "no"}})
    calls, skipped = plan.plan_of(subjects, chosen[:1])
    assert not calls and "the reference raised ValueError: no" in skipped[0]["reason"]
    monkeypatch.setattr(plan, "expected", lambda raw: 1 / 0)
    calls, skipped = plan.plan_of(subjects, chosen)
    assert not calls and {s["group"] for s in skipped} == {"could not be planned"}


def test_a_hint_that_cannot_be_computed_is_no_hint():
    case = plan.parsed(next(raw for raw in cases.load() if raw["id"] == "corr2d-groups-2-4-in-6-out"))
    assert hints.for_values(case, np.zeros((7, 7, 7)), np.ones(3)) is None
    assert hints.for_values(None, [1.0], [2.0]) is None
    assert hints.for_layer(None, None) is None


def _special_run(values):
    """A run of one corr2d on special-inf-minus-inf(-float64) that returned `values`, as the
    child reports it."""
    subjects = [{"name": "corr2d", "role": "corr2d", "kind": "function", "found": "the lesson's name",
                 "params": [{"name": "X", "kind": "POSITIONAL_OR_KEYWORD", "default": False},
                            {"name": "K", "kind": "POSITIONAL_OR_KEYWORD", "default": False}]}]
    chosen = [raw for raw in cases.load() if raw["id"].startswith("special-inf-minus-inf")]
    calls, _ = plan.plan_of(subjects, chosen)
    result = {"outputs": {"Y": {"form": "tensor", "type": "numpy.ndarray", "dtype": "float64",
                                "shape": [1, 2], "values": [values]}}}
    return SimpleNamespace(calls=calls, results={call.i: {"i": call.i, **result} for call in calls})


def test_a_documented_framework_difference_is_known_never_a_failure(monkeypatch):
    """The book's MXNet corr2d in numpy mode sums [1, -inf, 2] to NaN; a difference documented
    for a backend's learners' column turns exactly that result "known", as compare does."""
    nan_sum = [float("nan"), float("nan")]  # the reference: [nan, -inf]
    assert {v.kind for v in judge.judge_run(_special_run(nan_sum), "numpy")} == {"NaN where the reference has a number"}
    documented = differences.Difference(
        name="a-sum-with-infinities-is-nan", columns=(judge.LEARNER_COLUMN.format(backend="numpy"),),
        ops=("corr2d",), fields=("Y",), when=lambda case: case.id.startswith("special-inf-minus-inf"),
        gives="nan", why="a sum of infinities of both signs and a number is NaN there")
    monkeypatch.setattr(differences, "DIFFERENCES", [*differences.DIFFERENCES, documented])
    verdicts = judge.judge_run(_special_run(nan_sum), "numpy")
    assert {v.status for v in verdicts} == {"known"}
    assert all(documented.name in v.kind and documented.why in v.detail for v in verdicts)
    wrong = judge.judge_run(_special_run([5.0, float("-inf")]), "numpy")  # a number for NaN: not what it excuses
    assert {v.status for v in wrong} == {"fail"}


def test_a_float32_only_port_is_told_so(tmp_path):
    status, out, rec = _run(HONEST / "float32_only.py", tmp_path)
    corr2d = subject(rec, "corr2d")
    failed = corr2d["failures"]
    float64 = {raw["id"] for raw in cases.load() if raw.get("dtype") == "float64"}
    assert status == 1 and failed and {v["case"] for v in failed} <= float64 and _cases(corr2d, "pass"), out
    assert all(v["hint"] == hints.FLOAT32_ONLY for v in failed)
    assert "this port computes in float32 only" in out


def test_a_slow_loop_learn_is_not_given_the_large_cases(tmp_path):
    status, out, rec = _run(HONEST / "slow_learn.py", tmp_path, "--timeout", "10")
    learn = subject(rec, "learn")
    assert status == 0 and learn["passed"] == learn["applicable"] and "hang" not in learn["statuses"], out
    for case_id in ("large-learn-one-channel", "large-learn-one-channel-float64"):
        skipped = _skipped(learn, case_id)
        assert skipped["group"] == plan.LARGE and "16,770 elements" in skipped["reason"]
    assert "medium-learn-24x24-k3x3" in _cases(learn, "pass")


def test_a_corr2d_right_only_on_small_inputs_fails_on_the_medium_cases(tmp_path):
    target = tmp_path / "small_only.py"
    target.write_text(LESSON + '''

_right = corr2d


def corr2d(X, K):
    Y = _right(X, K)
    if X.size > 400:
        Y[-1, -1] += 1.0
    return Y
''')
    status, out, rec = _run(target, tmp_path)
    failed = _cases(subject(rec, "corr2d"), "fail")
    assert status == 1 and {"medium-corr2d-64x64-k3x3", "medium-corr2d-64x64-k3x3-float64"} <= failed, out
    status, out, rec = _run(HONEST / "multi_in_out_without_groups.py", tmp_path)
    assert {"medium-corr2d-64x64-k3x3", "medium-corr2d-64x64-k3x3-float64"} <= _cases(subject(rec, "corr2d"), "pass")


@pytest.mark.parametrize("returned, words", [
    ("[[str(v) for v in row] for row in Y]", "strings"),  # "19.0": the numbers as text
    ("Y > 0", "booleans"),
])
def test_a_result_that_holds_no_numbers_is_of_the_wrong_type(tmp_path, returned, words):
    target = tmp_path / "not_numbers.py"
    target.write_text(LESSON.replace("    return Y\n", f"    return {returned}\n"))
    status, out, rec = _run(target, tmp_path)
    failed = subject(rec, "corr2d")["failures"]
    assert status == 1 and failed and {v["kind"] for v in failed} == {"of the wrong type"}, out
    assert words in failed[0]["detail"] and "holds no numbers" in failed[0]["detail"]


# The lesson's corr2d after np.pad: PARAMETER and CHOSEN_MODE say whether it takes a padding mode.
PADDED = LESSON.replace("def corr2d(X, K):", '''MODES = {"zeros": "constant", "reflect": "reflect",
         "replicate": "edge", "circular": "wrap"}


def corr2d(X, K, padding=0PARAMETER):
    p = (padding, padding) if isinstance(padding, int) else padding
    X = np.pad(X, ((p[0], p[0]), (p[1], p[1])), mode=MODES[CHOSEN_MODE])''')


def test_a_padding_mode_goes_only_to_a_function_with_a_padding_mode_parameter(tmp_path):
    """(The built-in 2-D cases with a padding mode all pad asymmetrically: a case file here.)"""
    modes = tmp_path / "modes.json"
    X, K = [[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12]], [[1, -1], [2, 0.5]]
    modes.write_text(json.dumps({"cases": [
        {"id": f"{mode}-1", "op": "corr2d", "X": X, "K": K, "padding": 1, "padding_mode": mode}
        for mode in ("zeros", "reflect", "replicate", "circular")]}))
    without = tmp_path / "zeros_only.py"
    without.write_text(PADDED.replace("PARAMETER", "").replace("CHOSEN_MODE", '"zeros"'))
    status, out, rec = _run(without, tmp_path, "--cases", modes)
    corr2d = subject(rec, "corr2d")
    assert status == 0 and _cases(corr2d, "pass") == {"zeros-1"}, out
    assert _skipped(corr2d, "reflect-1")["group"] == \
        "take padding_mode: corr2d(X, K, padding) has no padding_mode parameter"
    every_mode = tmp_path / "every_mode.py"
    every_mode.write_text(PADDED.replace("PARAMETER", ', padding_mode="zeros"').replace("CHOSEN_MODE",
                                                                                      "padding_mode"))
    status, out, rec = _run(every_mode, tmp_path, "--cases", modes)
    assert status == 0 and len(_cases(subject(rec, "corr2d"), "pass")) == 4, out
