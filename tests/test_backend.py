"""The backend chosen with --backend: every path agrees with the reference, errors come first."""

import sys

import numpy as np
import pytest
from crashing import crash_cases

from convsuite.conformance.harness import supervised
from convsuite.conformance.harness.compare import compare
from convsuite.conformance.harness.judge import worst as _worst
from convsuite.conformance.harness.runner import offers, run_paths
from convsuite.spec import cases, reference, tolerance
from planting import messages

# The lesson's loop path runs one Python iteration per output element: lesson-sized cases only.
FORWARD_CASES = [c for c in cases.load() if c["op"] in ("corr2d", "conv2d")
                 and "error" not in c.get("expect", {}) and not cases.is_large(c)]


def case_named(case_id, **changes):
    return cases.parse({**next(c for c in cases.load() if c["id"] == case_id), **changes})


def as_backend(backend, case):
    return {k: backend.asarray(v) if isinstance(v, np.ndarray) else v for k, v in case.inputs.items()}


def qualified_bases(cls):
    return {f"{base.__module__}.{base.__qualname__}" for base in cls.__mro__}


def test_every_builtin_case_agrees_with_the_reference_on_every_path(backend, in_process_cases):
    document = {"backend": backend.name, **run_paths(backend, in_process_cases)}
    assert [r["id"] for r in document["results"]] == [c["id"] for c in in_process_cases]
    outcome = compare([document], in_process_cases)
    assert outcome.ok, "\n".join(messages(outcome))
    paths = ["builtin"] + (["compiled"] if offers(backend, "compiled") else [])
    assert set(outcome.backends) == {"reference", backend.name, *(f"{backend.name}:{p}" for p in paths)}


def test_the_cases_that_crash_the_framework_run_in_a_child_and_are_known(backend, builtin_cases):
    """The built-in cases the test above leaves out (`crash_cases`): computed as `run` computes
    them, alone in a child, each one a documented difference on this backend and never a pass."""
    crashing = crash_cases(backend, builtin_cases)
    if not crashing:
        pytest.skip(f"no documented difference crashes {backend.name}'s framework")
    runs, _ = supervised.run_paths(backend, sys.executable, crashing)
    outcome = compare([{"backend": backend.name, **runs}], crashing)
    assert outcome.ok, "\n".join(messages(outcome))
    assert {known.case for known in outcome.known} == {raw["id"] for raw in crashing}


@pytest.mark.parametrize("raw", FORWARD_CASES, ids=lambda c: c["id"])
@np.errstate(invalid="ignore")  # the special-* cases hold NaN and inf on purpose
def test_the_lessons_loop_path_agrees_with_the_reference(backend, raw):
    case = cases.parse(raw)
    inputs = as_backend(backend, case)
    Y = backend.to_numpy(backend.conv2d(**inputs, path="loop") if case.op == "conv2d"
                         else backend.corr2d_loop(**inputs))
    assert Y.dtype == np.dtype(case.dtype)
    exact = getattr(reference, case.op)(**{k: v.astype(float) if isinstance(v, np.ndarray) else v
                                           for k, v in case.inputs.items()})
    assert _worst(Y, exact, tolerance.versus_reference(case)["Y"])[1] is None


@pytest.mark.parametrize("path", ["fast", "builtin", "loop"])
def test_a_window_larger_than_the_input_is_a_value_error_before_the_framework(backend, path):
    X = backend.asarray(np.ones((2, 3), np.float32))
    K = backend.asarray(np.ones((3, 1), np.float32))
    with pytest.raises(ValueError, match="no window fits"):
        backend.PATHS[path](X, K)
    with pytest.raises(ValueError, match="channels"):
        backend.PATHS[path](backend.asarray(np.ones((2, 3, 3), np.float32)),
                            backend.asarray(np.ones((3, 1, 1), np.float32)))


@pytest.mark.parametrize("layer", ["builtin", "custom"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_the_lessons_loop_learns_the_edge_kernel(backend, layer, dtype):
    case = case_named(f"learn-edge-{layer}", dtype=dtype)
    losses, K, _ = backend.learn(**as_backend(backend, case))
    K = backend.to_numpy(K)
    assert K.dtype == np.dtype(dtype) and K.shape == (1, 2)
    np.testing.assert_allclose(K, [[1, -1]], atol=0.05)
    assert len(losses) == 10 and losses[-1] < losses[0] / 100


def test_conv2d_and_the_builtin_are_the_frameworks_own_classes(backend):
    """Conv2D must be the framework's kind of layer, BuiltinConv2D its conv (as declared)."""
    layer_base, conv_base = backend.declaration.layer_bases
    assert layer_base in qualified_bases(backend.Conv2D)
    assert conv_base in qualified_bases(backend.BuiltinConv2D)


@pytest.mark.parametrize("path", ["fast", "builtin"])
def test_the_bias_goes_on_the_channel_axis(backend, path):
    X = np.arange(2 * 3 * 2 * 2, dtype=np.float32).reshape(2, 3, 2, 2)
    W = np.ones((2, 3, 1, 1), np.float32)
    bias = np.array([0.5, -100.0], np.float32)
    Y = backend.to_numpy(backend.layer_forward(*map(backend.asarray, (X, W, bias)), path=path))
    np.testing.assert_array_equal(Y, reference.layer_forward(X, W, bias))


def test_a_second_run_is_bit_identical(backend, in_process_cases):
    import json

    first, second = (json.dumps(run_paths(backend, in_process_cases)) for _ in range(2))
    assert first == second


def test_versions_name_the_framework(backend):
    assert backend.versions()["framework"].split()[0] == backend.name
