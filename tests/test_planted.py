"""Plant wrong backends and prove that `compare` catches every one of them.

Each planted bug is a real change to the NumPy backend (patched for one test), run through
the same runner and comparison as a real backend.
"""

import numpy as np
import pytest

from backends import numpy_backend
from conformance.compare import compare
from conformance.runner import run_cases
from spec import cases

correct_corr2d = numpy_backend.corr2d
correct_learn = numpy_backend.learn


def flipped_kernel(X, K):
    return correct_corr2d(X, K[::-1, ::-1])


def off_by_one_window(X, K):
    """The loop bound without its + 1: the last row and column of windows are lost."""
    h, w = K.shape
    Y = np.zeros((X.shape[0] - h, X.shape[1] - w), dtype=X.dtype)
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = (X[i : i + h, j : j + w] * K).sum()
    return Y


def nhwc_read_as_nchw(X, K):
    """The right numbers in the wrong memory order: a transposed buffer reshaped, not moved."""
    Y = correct_corr2d(X, K)
    return np.ascontiguousarray(Y.T).reshape(Y.shape)


def float64_computed_in_float32(X, K):
    return correct_corr2d(X.astype(np.float32), K.astype(np.float32)).astype(X.dtype)


def dropped_bias(X, weight, bias):
    return correct_corr2d(X, weight)


def learning_rate_off_by_a_thousandth(X, Y, K_init, lr, steps, layer):
    return correct_learn(X, Y, K_init, lr * 1.001, steps, layer)


def learning_rate_hard_coded(X, Y, K_init, lr, steps, layer):
    return correct_learn(X, Y, K_init, 3e-2, steps, layer)


def loss_after_the_update(X, Y, K_init, lr, steps, layer):
    """Each loss taken after its step's update: the whole curve shifts one step."""
    losses, K = correct_learn(X, Y, K_init, lr, steps + 1, layer)
    return losses[1:], correct_learn(X, Y, K_init, lr, steps, layer)[1]


def gradient_ascent(X, Y, K_init, lr, steps, layer):
    return correct_learn(X, Y, K_init, -lr, steps, layer)


def one_step_too_few(X, Y, K_init, lr, steps, layer):
    losses, K = correct_learn(X, Y, K_init, lr, max(steps - 1, 1), layer)
    return losses, K


# (what is planted, which function it replaces, a case it must be caught on)
PLANTED = [
    (flipped_kernel, "corr2d", "corr2d-lesson-3x3"),
    (off_by_one_window, "corr2d", "corr2d-edge-6x8"),
    (nhwc_read_as_nchw, "corr2d", "corr2d-nonsquare-5x7-k2x3"),
    (float64_computed_in_float32, "corr2d", "corr2d-float64-7x4-k3x2"),
    (dropped_bias, "layer_forward", "layer-edge-6x8-bias"),
    (learning_rate_off_by_a_thousandth, "learn", "learn-edge-builtin"),
    (learning_rate_hard_coded, "learn", "learn-5x6-k2x2-builtin"),
    (loss_after_the_update, "learn", "learn-edge-custom"),
    (gradient_ascent, "learn", "learn-edge-builtin"),
    (one_step_too_few, "learn", "learn-edge-custom-float64"),
]


def planted_results(monkeypatch, bug, target, builtin_cases):
    monkeypatch.setattr(numpy_backend, target, bug)
    results = run_cases(numpy_backend, builtin_cases)
    monkeypatch.undo()
    return {"backend": f"planted-{bug.__name__}", "results": results}


@pytest.mark.parametrize("bug, target, case_id", PLANTED, ids=lambda p: getattr(p, "__name__", None))
def test_compare_catches_the_planted_bug(monkeypatch, builtin_cases, bug, target, case_id):
    planted = planted_results(monkeypatch, bug, target, builtin_cases)
    outcome = compare([planted], builtin_cases)
    assert not outcome.ok
    caught = [f for f in outcome.failures if f"planted-{bug.__name__}, case {case_id}:" in f]
    assert caught, "\n".join(outcome.failures)
    assert "FAIL" in outcome.cells[case_id, planted["backend"]][0]


@pytest.mark.parametrize("bug, target, case_id", PLANTED, ids=lambda p: getattr(p, "__name__", None))
def test_a_planted_bug_also_disagrees_with_a_correct_backend(monkeypatch, builtin_cases, bug, target, case_id):
    planted = planted_results(monkeypatch, bug, target, builtin_cases)
    correct = {"backend": "numpy", "results": run_cases(numpy_backend, builtin_cases)}
    outcome = compare([correct, planted], builtin_cases)
    pair = f"backends numpy and planted-{bug.__name__} disagree, case {case_id}:"
    assert any(f.startswith(pair) for f in outcome.failures), "\n".join(outcome.failures)
    assert not any(f.startswith("backend numpy,") for f in outcome.failures)


def test_the_unplanted_backend_passes(builtin_cases):
    outcome = compare([{"backend": "numpy", "results": run_cases(numpy_backend, builtin_cases)}], builtin_cases)
    assert outcome.ok, outcome.failures


def results_with(builtin_cases, case_id, change):
    results = run_cases(numpy_backend, builtin_cases)
    for result in results:
        if result["id"] == case_id:
            change(result)
    return [{"backend": "edited", "results": [r for r in results if r is not None]}]


@pytest.mark.parametrize("case_id, change, words", [
    ("corr2d-lesson-3x3", lambda r: r["Y"][1].__setitem__(0, 37.001), "element [1, 0] is 37.001"),
    ("corr2d-lesson-3x3", lambda r: r["Y"][1].__setitem__(0, float("nan")), "element [1, 0] is nan"),
    ("corr2d-lesson-3x3", lambda r: r.pop("Y"), "has no 'Y'"),
    ("learn-edge-builtin", lambda r: r["losses"].pop(), "losses shape (9,), expected (10,)"),
    ("corr2d-edge-6x8", lambda r: r.update(error={"type": "RuntimeError", "message": "boom"}),
     "raised RuntimeError: boom"),
    ("error-steps-zero", lambda r: r.update(error={"type": "RuntimeError", "message": "x"}),
     "raised RuntimeError, the reference raises ValueError"),
    ("error-kernel-larger-than-input", lambda r: (r.pop("error"), r.update(Y=[[0.0]])),
     "raised nothing, the reference raises ValueError"),
])
def test_compare_names_backend_case_and_element(builtin_cases, case_id, change, words):
    outcome = compare(results_with(builtin_cases, case_id, change), builtin_cases)
    failures = [f for f in outcome.failures if f.startswith(f"backend edited, case {case_id}:")]
    assert any(words in f for f in failures), "\n".join(outcome.failures)


def test_a_missing_and_an_unknown_result_are_failures(builtin_cases):
    results = run_cases(numpy_backend, builtin_cases)
    results[0] = {"id": "not-a-case", "Y": [[0.0]]}
    outcome = compare([{"backend": "edited", "results": results}], builtin_cases)
    assert f"backend edited, case {builtin_cases[0]['id']}: no result" in outcome.failures
    assert "backend edited: result for unknown case 'not-a-case'" in outcome.failures


def test_a_wrong_golden_value_is_caught_even_when_the_reference_agrees_with_backends(builtin_cases):
    raw = [dict(c) for c in builtin_cases if c["id"] == "corr2d-lesson-3x3"]
    raw[0]["expect"] = {"Y": [[19, 25], [37, 44]]}
    outcome = compare([{"backend": "numpy", "results": run_cases(numpy_backend, raw)}], raw)
    assert any(f.startswith("reference, case corr2d-lesson-3x3: Y element [1, 1]") for f in outcome.failures)
    assert any(f.startswith("backend numpy, case corr2d-lesson-3x3") for f in outcome.failures)
