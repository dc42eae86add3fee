"""The backend chosen with --backend: every form agrees with the reference, errors come first."""

import numpy as np
import pytest

from conformance.compare import compare
from conformance.runner import run_cases
from spec import cases, reference, tolerance

# What kind of layer each framework's Conv2D must be, by fully qualified base-class name.
LAYER_BASES = {
    "numpy": "builtins.object",
    "torch": "torch.nn.modules.module.Module",
    "tensorflow": "keras.src.layers.layer.Layer",
    "mxnet": "mxnet.gluon.block.Block",
}

CORR2D_CASES = [c for c in cases.load() if c["op"] == "corr2d" and "error" not in c.get("expect", {})]


def lesson_learn_case(layer, dtype):
    suffix = "" if dtype == "float32" else "-float64"
    raw = next(c for c in cases.load() if c["id"] == f"learn-edge-{layer}{suffix}")
    return cases.parse(raw)


def as_backend(backend, case):
    return {k: backend.asarray(v) if isinstance(v, np.ndarray) else v for k, v in case.inputs.items()}


def test_every_builtin_case_agrees_with_the_reference(backend, builtin_cases):
    results = run_cases(backend, builtin_cases)
    assert [r["id"] for r in results] == [c["id"] for c in builtin_cases]
    document = {"backend": backend.name, "results": results}
    outcome = compare([document], builtin_cases)
    assert outcome.ok, "\n".join(outcome.failures)


@pytest.mark.parametrize("raw", CORR2D_CASES, ids=lambda c: c["id"])
def test_the_lessons_loop_form_agrees_with_the_reference(backend, raw):
    case = cases.parse(raw)
    inputs = as_backend(backend, case)
    Y = backend.to_numpy(backend.corr2d_loop(inputs["X"], inputs["K"]))
    assert Y.dtype == np.dtype(case.dtype)
    exact = reference.corr2d(case.inputs["X"].astype(float), case.inputs["K"].astype(float))
    assert np.all(np.abs(Y - exact) <= tolerance.versus_reference(case)["Y"])


@pytest.mark.parametrize("form", ["corr2d", "corr2d_loop", "conv2d"])
def test_a_kernel_larger_than_the_input_is_a_value_error_before_the_framework(backend, form):
    X = backend.asarray(np.ones((2, 3), np.float32))
    K = backend.asarray(np.ones((3, 1), np.float32))
    with pytest.raises(ValueError, match="larger than the input"):
        getattr(backend, form)(X, K)


@pytest.mark.parametrize("layer", ["builtin", "custom"])
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_the_lessons_loop_learns_the_edge_kernel(backend, layer, dtype):
    case = lesson_learn_case(layer, dtype)
    losses, K = backend.learn(**as_backend(backend, case))
    K = backend.to_numpy(K)
    assert K.dtype == np.dtype(dtype) and K.shape == (1, 2)
    np.testing.assert_allclose(K, [[1, -1]], atol=0.05)
    assert len(losses) == 10 and losses[-1] < losses[0] / 100


def test_conv2d_is_the_frameworks_own_kind_of_layer(backend):
    layer = backend.Conv2D((1, 2))
    bases = {f"{cls.__module__}.{cls.__qualname__}" for cls in type(layer).__mro__}
    assert LAYER_BASES[backend.name] in bases


def test_layer_forward_adds_the_bias(backend):
    X = np.arange(12, dtype=np.float32).reshape(3, 4)
    W = np.array([[1, -1]], np.float32)
    Y = backend.to_numpy(backend.layer_forward(backend.asarray(X), backend.asarray(W), 0.5))
    np.testing.assert_array_equal(Y, reference.corr2d(X, W) + 0.5)


def test_versions_name_the_framework(backend):
    assert backend.versions()["framework"].split()[0] in (backend.name, "numpy")
