"""Plant wrong backends and prove that `compare` catches every one of them.

Each planted bug is a real change to the NumPy backend (patched for one test), run through
the same runner and comparison as a real backend.
"""

import functools

import numpy as np
import pytest

from dataclasses import replace

from convsuite import backends
from convsuite.backends import numpy as numpy_backend
from convsuite.conformance.harness.compare import compare
from convsuite.conformance.harness.runner import run_cases
from planting import messages, planted, replace_everywhere
from convsuite.spec.shapes import DEFAULT, conv_geometry

correct_corr2d = numpy_backend.corr2d
correct_learn = numpy_backend.learn
correct_grad = numpy_backend.grad


def corr2d_path(bug):
    """A planted corr2d called as a path is: the Geometry after X and K, by name or in order
    (as conv2d passes it), the lesson's when none is given."""
    @functools.wraps(bug)
    def path(X, K, geometry=DEFAULT):
        return bug(X, K, geometry)
    return path


@corr2d_path
def flipped_kernel(X, K, geometry):
    return correct_corr2d(X, np.flip(K, axis=(-2, -1)), geometry)


@corr2d_path
def off_by_one_window(X, K, geometry):
    """The output size without its + 1: the last row and column of windows are lost."""
    return correct_corr2d(X, K, geometry)[..., :-1, :-1]


@corr2d_path
def nhwc_read_as_nchw(X, K, geometry):
    """The right numbers in the wrong memory order: channels-last data read as NCHW (with
    one channel the two layouts are the same bytes, so only multi-channel cases show it)."""
    g = conv_geometry(X.shape, K.shape, geometry)
    Y = correct_corr2d(X, K, geometry).reshape(g.out4)
    return np.ascontiguousarray(Y.transpose(0, 2, 3, 1)).reshape(g.out_shape)


@corr2d_path
def padding_on_the_wrong_axis(X, K, geometry):
    """The seed's np.pad(x, ((w, w), (h, h))): height padding applied to the width."""
    (top, bottom), (left, right) = conv_geometry(X.shape, K.shape, geometry).padding
    return correct_corr2d(X, K, replace(geometry, padding=((left, right), (top, bottom))))


@corr2d_path
def stride_before_padding(X, K, geometry):
    """Windows counted from the unpadded origin: every stride-th window after the padding."""
    g = conv_geometry(X.shape, K.shape, geometry)
    (top, _), (left, _) = g.padding
    dense = correct_corr2d(X, K, replace(geometry, padding=g.padding, stride=1))
    return dense[..., top :: g.stride[0], left :: g.stride[1]]


@corr2d_path
def input_channels_reversed(X, K, geometry):
    """Input channel c paired with kernel channel C_in - 1 - c."""
    g = conv_geometry(X.shape, K.shape, geometry)
    return correct_corr2d(X, K.reshape(g.k4)[:, ::-1].reshape(K.shape), geometry)


@corr2d_path
def oihw_read_as_iohw(X, K, geometry):
    """The kernel's output and input channel axes swapped in memory."""
    g = conv_geometry(X.shape, K.shape, geometry)
    k = np.ascontiguousarray(K.reshape(g.k4).transpose(1, 0, 2, 3)).reshape(K.shape)
    return correct_corr2d(X, k, geometry)


@corr2d_path
def float64_computed_in_float32(X, K, geometry):
    return correct_corr2d(X.astype(np.float32), K.astype(np.float32), geometry).astype(X.dtype)


@corr2d_path
def groups_in_reverse(X, K, geometry):
    """Group i's output channels computed from the last but i group's input channels."""
    g = conv_geometry(X.shape, K.shape, geometry)
    blocks = np.split(X.reshape(g.x4), g.groups, axis=1)
    return correct_corr2d(np.concatenate(blocks[::-1], axis=1).reshape(X.shape), K, geometry)


@corr2d_path
def groups_interleaved(X, K, geometry):
    """Input channel c taken into group c % G (as a channel shuffle would) instead of c // (C_in / G)."""
    g = conv_geometry(X.shape, K.shape, geometry)
    x4 = X.reshape(g.x4)
    order = np.concatenate([np.arange(group, g.x4[1], g.groups) for group in range(g.groups)])
    return correct_corr2d(x4[:, order].reshape(X.shape), K, geometry)


@corr2d_path
def same_with_the_extra_padding_at_the_top(X, K, geometry):
    """"same" split the other way round: the odd row and column before, not after."""
    g = conv_geometry(X.shape, K.shape, geometry)
    flipped = tuple((after, before) for before, after in g.padding) if g.padding_name == "same" else g.padding
    return correct_corr2d(X, K, replace(geometry, padding=flipped))


@corr2d_path
def reflect_taken_as_replicate(X, K, geometry):
    mode = geometry.padding_mode
    return correct_corr2d(X, K, replace(geometry, padding_mode="replicate" if mode == "reflect" else mode))


@corr2d_path
def circular_wraps_the_wrong_axis(X, K, geometry):
    """Circular padding given to F.pad-like calls in the wrong axis order: the height's
    wrap-around on the width and the width's on the height."""
    g = conv_geometry(X.shape, K.shape, geometry)
    if g.padding_mode != "circular":
        return correct_corr2d(X, K, geometry)
    (top, bottom), (left, right) = g.padding
    return correct_corr2d(X, K, replace(geometry, padding=((left, right), (top, bottom))))


def dropped_bias(X, weight, bias, *, geometry=DEFAULT, path="fast"):
    return correct_corr2d(X, weight, geometry)


def bias_on_the_last_axis(X, weight, bias, *, geometry=DEFAULT, path="fast"):
    """The lesson's `+ self.bias` with one bias per channel: it broadcasts along the width."""
    return correct_corr2d(X, weight, geometry) + bias


def gradient_of_the_mean(X, K, bias, *, G, geometry=DEFAULT, path="fast"):
    dX, dK, db = correct_grad(X, K, bias, G=G, geometry=geometry, path=path)
    return dX, dK / G.size, db / G.size


def padding_gradient_cropped(dx, g):
    """dX cropped out of the padded input's gradient, as zero padding allows: what the
    reflected, replicated and wrapped copies took is lost."""
    (top, bottom), (left, right) = g.padding
    return dx[:, :, top : dx.shape[2] - bottom, left : dx.shape[3] - right]


def learning_rate_off_by_a_thousandth(X, Y, K_init, *, lr, steps, path, bias, learn_bias, geometry=DEFAULT):
    return correct_learn(X, Y, K_init, lr=lr * 1.001, steps=steps, path=path, bias=bias,
                         learn_bias=learn_bias, geometry=geometry)


def learning_rate_hard_coded(X, Y, K_init, *, lr, steps, path, bias, learn_bias, geometry=DEFAULT):
    return correct_learn(X, Y, K_init, lr=3e-2, steps=steps, path=path, bias=bias,
                         learn_bias=learn_bias, geometry=geometry)


def loss_after_the_update(X, Y, K_init, *, lr, steps, path, bias, learn_bias, geometry=DEFAULT):
    """Each loss taken after its step's update: the whole curve shifts one step."""
    losses, _, _ = correct_learn(X, Y, K_init, lr=lr, steps=steps + 1, path=path, bias=bias,
                                 learn_bias=learn_bias, geometry=geometry)
    _, K, final_bias = correct_learn(X, Y, K_init, lr=lr, steps=steps, path=path, bias=bias,
                                     learn_bias=learn_bias, geometry=geometry)
    return losses[1:], K, final_bias


def gradient_ascent(X, Y, K_init, *, lr, steps, path, bias, learn_bias, geometry=DEFAULT):
    return correct_learn(X, Y, K_init, lr=-lr, steps=steps, path=path, bias=bias,
                         learn_bias=learn_bias, geometry=geometry)


def one_step_too_few(X, Y, K_init, *, lr, steps, path, bias, learn_bias, geometry=DEFAULT):
    return correct_learn(X, Y, K_init, lr=lr, steps=max(steps - 1, 1), path=path, bias=bias,
                         learn_bias=learn_bias, geometry=geometry)


def bias_never_learned(X, Y, K_init, *, lr, steps, path, bias, learn_bias, geometry=DEFAULT):
    return correct_learn(X, Y, K_init, lr=lr, steps=steps, path=path, bias=bias,
                         learn_bias=False, geometry=geometry)


# (the planted bug, the function it replaces, a case it must be caught on)
PLANTED = [
    (flipped_kernel, "corr2d", "corr2d-lesson-3x3"),
    (off_by_one_window, "corr2d", "corr2d-edge-6x8"),
    (nhwc_read_as_nchw, "corr2d", "corr2d-batch-4-3-in-2-out"),
    (padding_on_the_wrong_axis, "corr2d", "corr2d-asymmetric-padding-expect"),
    (padding_on_the_wrong_axis, "corr2d", "corr2d-padding-height-only"),
    (stride_before_padding, "corr2d", "corr2d-stride-and-padding"),
    (input_channels_reversed, "corr2d", "corr2d-multi-in-lesson"),
    (oihw_read_as_iohw, "corr2d", "corr2d-batch-4-3-in-2-out"),
    (float64_computed_in_float32, "corr2d", "corr2d-float64-7x4-k3x2"),
    (groups_in_reverse, "corr2d", "corr2d-groups-2-4-in-6-out"),
    (groups_in_reverse, "corr2d", "corr2d-depthwise"),
    (groups_in_reverse, "corr2d", "corr2d-groups-expect-float64"),
    (groups_interleaved, "corr2d", "corr2d-groups-2-4-in-6-out"),
    (same_with_the_extra_padding_at_the_top, "corr2d", "corr2d-same-even-expect"),
    (same_with_the_extra_padding_at_the_top, "corr2d", "corr2d-same-even-stride-2-float64"),
    (reflect_taken_as_replicate, "corr2d", "corr2d-reflect-expect"),
    (reflect_taken_as_replicate, "corr2d", "corr2d-reflect-batch-stride-dilation"),
    (circular_wraps_the_wrong_axis, "corr2d", "corr2d-circular-expect"),
    (circular_wraps_the_wrong_axis, "corr2d", "corr2d-circular-batch-dilation"),
    (dropped_bias, "layer_forward", "layer-edge-6x8-bias"),
    (bias_on_the_last_axis, "layer_forward", "layer-width-equals-channels"),
    (bias_on_the_last_axis, "layer_forward", "layer-batch-4-per-channel-bias"),
    (gradient_of_the_mean, "grad", "grad-batch-4-3-in-2-out"),
    (padding_gradient_cropped, "_unpadded", "grad-reflect"),
    (padding_gradient_cropped, "_unpadded", "grad-replicate-float64"),
    (padding_gradient_cropped, "_unpadded", "grad-circular"),
    (learning_rate_off_by_a_thousandth, "learn", "learn-edge-builtin"),
    (learning_rate_hard_coded, "learn", "learn-5x6-k2x2-builtin"),
    (loss_after_the_update, "learn", "learn-edge-custom"),
    (gradient_ascent, "learn", "learn-edge-builtin"),
    (one_step_too_few, "learn", "learn-edge-custom-float64"),
    (bias_never_learned, "learn", "learn-3-in-2-out-bias-custom"),
]
IDS = [f"{bug.__name__}-{case_id}" for bug, _, case_id in PLANTED]


def planted_results(monkeypatch, bug, target, lesson_cases):
    replace_everywhere(monkeypatch, backends.load("numpy"), target, bug)
    results = run_cases(numpy_backend, lesson_cases)
    monkeypatch.undo()
    return {"backend": f"planted-{bug.__name__}", "results": results}


@pytest.mark.parametrize("bug, target, case_id", PLANTED, ids=IDS)
def test_compare_catches_the_planted_bug(monkeypatch, lesson_cases, bug, target, case_id):
    planted = planted_results(monkeypatch, bug, target, lesson_cases)
    outcome = compare([planted], lesson_cases)
    assert not outcome.ok
    caught = [f for f in messages(outcome) if f"planted-{bug.__name__}, case {case_id}:" in f]
    assert caught, "\n".join(messages(outcome))
    assert "FAIL" in outcome.cells[case_id, planted["backend"]].text


@pytest.mark.parametrize("bug, target, case_id", PLANTED[:1] + PLANTED[-1:], ids=IDS[:1] + IDS[-1:])
def test_a_correct_backend_beside_a_planted_one_is_not_blamed(monkeypatch, lesson_cases, bug, target, case_id):
    planted = planted_results(monkeypatch, bug, target, lesson_cases)
    correct = {"backend": "numpy", "results": run_cases(numpy_backend, lesson_cases)}
    outcome = compare([correct, planted], lesson_cases)
    assert any(f.startswith(f"backend planted-{bug.__name__}, case {case_id}:") for f in messages(outcome))
    assert not any("numpy" in f.replace(f"planted-{bug.__name__}", "") for f in messages(outcome))


def test_the_unplanted_backend_passes(lesson_cases):
    outcome = compare([{"backend": "numpy", "results": run_cases(numpy_backend, lesson_cases)}], lesson_cases)
    assert outcome.ok, messages(outcome)


def test_two_backends_each_near_the_reference_must_also_agree_with_each_other(lesson_cases):
    """In float64, each may be bound(float64) + bound(float64) from the reference, but two
    backends may differ by only 2 * bound(float64): push them to opposite sides."""
    from convsuite.spec import cases, tolerance

    raw = [c for c in lesson_cases if c["id"] == "corr2d-float64-7x4-k3x2"]
    case = cases.parse(raw[0])
    exact = np.array(run_cases(numpy_backend, raw)[0]["Y"])
    shift = 0.9 * tolerance.versus_reference(case)["Y"]
    low = {"backend": "low", "results": [{"id": case.id, "Y": (exact - shift).tolist()}]}
    high = {"backend": "high", "results": [{"id": case.id, "Y": (exact + shift).tolist()}]}
    outcome = compare([low, high], raw)
    assert messages(outcome) and all(f.startswith("backends low and high disagree") for f in messages(outcome))


def results_with(lesson_cases, case_id, change):
    results = run_cases(numpy_backend, lesson_cases)
    for result in results:
        if result["id"] == case_id:
            change(result)
    return [{"backend": "edited", "results": results}]


@pytest.mark.parametrize("case_id, change, words", [
    ("corr2d-lesson-3x3", lambda r: r["Y"][1].__setitem__(0, 37.001), "element [1, 0] is 37.001"),
    ("corr2d-lesson-3x3", lambda r: r["Y"][1].__setitem__(0, float("nan")), "element [1, 0] is nan"),
    ("corr2d-lesson-3x3", lambda r: r.pop("Y"), "has no 'Y'"),
    ("learn-edge-builtin", lambda r: r["losses"].pop(), "losses shape (9,), expected (10,)"),
    ("learn-edge-with-bias-custom", lambda r: r.pop("bias"), "has no 'bias'"),
    ("grad-multi-in", lambda r: r["dK"][2][0].__setitem__(1, 5.0), "dK element [2, 0, 1] is 5.0"),
    ("corr2d-edge-6x8", lambda r: r.update(error={"type": "RuntimeError", "message": "boom"}),
     "raised RuntimeError: boom"),
    ("error-steps-zero", lambda r: r.update(error={"type": "RuntimeError", "message": "x"}),
     "raised RuntimeError, the reference raises ValueError"),
    ("error-kernel-larger-than-input", lambda r: (r.pop("error"), r.update(Y=[[0.0]])),
     "raised nothing, the reference raises ValueError"),
])
def test_compare_names_backend_case_and_element(lesson_cases, case_id, change, words):
    outcome = compare(results_with(lesson_cases, case_id, change), lesson_cases)
    failures = [f for f in messages(outcome) if f.startswith(f"backend edited, case {case_id}:")]
    assert any(words in f for f in failures), "\n".join(messages(outcome))


def test_a_missing_and_an_unknown_result_are_failures(lesson_cases):
    results = run_cases(numpy_backend, lesson_cases)
    results[0] = {"id": "not-a-case", "Y": [[0.0]]}
    outcome = compare([{"backend": "edited", "results": results}], lesson_cases)
    assert f"backend edited, case {lesson_cases[0]['id']}: no result" in messages(outcome)
    assert "backend edited: result for unknown case 'not-a-case'" in messages(outcome)


def test_a_wrong_golden_value_is_caught_even_when_the_reference_agrees_with_backends(lesson_cases):
    raw = [dict(c) for c in lesson_cases if c["id"] == "corr2d-lesson-3x3"]
    raw[0]["expect"] = {"Y": [[19, 25], [37, 44]]}
    outcome = compare([{"backend": "numpy", "results": run_cases(numpy_backend, raw)}], raw)
    assert any(f.startswith("reference, case corr2d-lesson-3x3: Y element [1, 1]") for f in messages(outcome))
    assert any(f.startswith("backend numpy, case corr2d-lesson-3x3") for f in messages(outcome))


@pytest.mark.parametrize("bug, target, case_id", [
    (flipped_kernel, "corr2d_compiled", "corr2d-lesson-3x3"),
    (learning_rate_off_by_a_thousandth, "learn_compiled", "learn-edge-builtin"),
], ids=["flipped-compiled-kernel", "compiled-learning-rate"])
def test_a_planted_bug_on_the_compiled_path_alone_is_caught_in_its_column(
        monkeypatch, lesson_cases, bug, target, case_id):
    """The fast and built-in paths are right; only NAME:compiled is wrong, and compare says so."""
    from convsuite.conformance.harness.runner import run_paths

    paths = {"corr2d_compiled": correct_corr2d, "learn_compiled": correct_learn, target: bug}
    compiling = planted(capabilities={"compiled"}, monkeypatch=monkeypatch, **paths,
                        PATHS={**numpy_backend.PATHS, "compiled": paths["corr2d_compiled"]})
    planted_run = {"backend": "planted", **run_paths(compiling, lesson_cases)}
    monkeypatch.undo()
    outcome = compare([planted_run], lesson_cases)
    assert messages(outcome) and all("planted:compiled" in f for f in messages(outcome)), messages(outcome)
    assert not any("raised" in f for f in messages(outcome)), messages(outcome)  # wrong numbers, not errors
    assert "FAIL" in outcome.cells[case_id, "planted:compiled"].text
    assert "FAIL" not in outcome.cells[case_id, "planted"].text
