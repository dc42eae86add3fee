"""The four bugs that once passed every built-in case (issue 25), planted again: each is one
feature ignored on one path that no case carried there (a batch, a dilation). With the
coverage cases (spec/cases/coverage.json) the main job's `compare` names each of them.

Each test plants its bug in its own backend's code, so it runs in that backend's session
(--backend NAME) and is skipped, saying why, in the others.
"""

import ast
import dataclasses
import inspect
import types

import pytest

from convsuite.conformance.harness.compare import compare
from convsuite.conformance.harness.runner import run_paths
from convsuite.spec import cases
from planting import defining_module, messages, plant, replace_everywhere


def _learn_cases():
    return [raw for raw in cases.load() if raw.get("op") == "learn" and not cases.is_large(raw)]


def _caught(backend, path):
    """The learn cases whose results on `path` compare names as failures, and the messages."""
    chosen = _learn_cases()
    runs = run_paths(backend, chosen, paths=[path])
    outcome = compare([{"backend": backend.name, **runs}], chosen)
    column = backend.name if path == "fast" else f"{backend.name}:{path}"
    return {failure.case for failure in outcome.failures if failure.backend == column}, messages(outcome)


def _only_in(backend, name, why):
    if backend.name != name:
        pytest.skip(f"plants a bug in {name}'s {why}: runs in the {name} session (--backend={name})")


def _replaced(source, old, new):
    assert old in source, f"the planted line {old!r} is gone: update the plant"
    return source.replace(old, new)


def test_numba_learning_loop_whose_gradient_sees_only_the_first_image_is_caught(backend, monkeypatch):
    _only_in(backend, "numpy", "compiled learning loop (backends/numpy/kernels.py)")
    numba_kernels = defining_module(backend, "_gradient")

    # Numba binds the kernels a kernel calls when it compiles, so the whole module is
    # compiled again (uncached: a planted kernel must never reach the cache) with the bug
    # in _gradient alone, and the backend is given it in place of the real one.
    source = inspect.getsource(numba_kernels)
    tree = ast.parse(source)
    gradient = next(node for node in tree.body if getattr(node, "name", None) == "_gradient")
    old = ast.get_source_segment(source, gradient)
    planted_gradient = _replaced(old, "for image in range(n):", "for image in range(1):")
    planted_source = _replaced(source, old, planted_gradient).replace("cache=True", "cache=False")
    planted = types.ModuleType("planted_numba_kernels")
    exec(compile(planted_source, "<planted numba_kernels>", "exec"), planted.__dict__)
    replace_everywhere(monkeypatch, backend, "_kernels", lambda: planted, holder=defining_module(backend, "_kernels"))
    caught, said = _caught(backend, "compiled")
    assert {"cov-learn-batch-dilation-replicate-custom", "cov-learn-batch-dilation-circular-custom"} <= caught, said


def test_torch_learning_loop_whose_loss_sees_only_the_first_image_is_caught(backend, monkeypatch):
    _only_in(backend, "torch", "learning loop (backends/torch/ learn)")
    plant(monkeypatch, backend, "learn", "l = (Y_hat - Y) ** 2",
          "l = ((Y_hat - Y) ** 2)[:1] if Y.dim() == 4 else (Y_hat - Y) ** 2")
    caught, said = _caught(backend, "fast")
    assert {"cov-learn-batch-dilation-replicate-custom", "cov-learn-batch-dilation-replicate-builtin"} <= caught, said


def _ignoring_dilation(learn_compiled):
    def planted(*args, **kwargs):
        return learn_compiled(*args, **{**kwargs, "geometry": dataclasses.replace(kwargs["geometry"], dilation=(1, 1))})
    return planted


@pytest.mark.parametrize("name", ["tensorflow", "jax"])
def test_compiled_learning_loop_that_ignores_the_dilation_is_caught(backend, monkeypatch, name):
    _only_in(backend, name, "compiled learning loop (learn_compiled)")
    monkeypatch.setattr(backend.module, "learn_compiled", _ignoring_dilation(backend.module.learn_compiled))
    caught, said = _caught(backend, "compiled")
    dilated = {"cov-learn-batch-dilation-replicate-custom", "cov-learn-batch-dilation-reflect-custom",
               "cov-learn-batch-dilation-replicate-builtin", "cov-learn-batch-dilation-reflect-builtin"}
    assert dilated <= caught, said
