"""Every size regime of every fast path is verified: each backend declares the thresholds at
which its code changes form (`backends.contract`: "thresholds"), the built-in cases reach
both sides of each, and a bug planted past a threshold turns the comparison red.

The coverage tests read declarations and cases only, so they hold every registered backend
in every session; the planted-bug tests edit the chosen backend's own code.
"""

import ast
import inspect
import re

import numpy as np
import pytest

from convsuite import backends
from convsuite.conformance.harness import coverage
from convsuite.conformance.harness.compare import compare
from convsuite.conformance.harness.runner import run_cases
from planting import defining_module, messages, plant
from convsuite.spec import cases

# A module constant with one of these words in its name is a size the code switches at.
SIZE_CONSTANT = re.compile(r"BLOCK|THRESHOLD|LIMIT|CUTOFF")


PARSED = coverage.parsed_cases()  # a case that raises reaches no form
THRESHOLDS = [(d, t) for d in backends.declarations() for t in d.thresholds]


@pytest.mark.parametrize("declaration, threshold", THRESHOLDS,
                         ids=[f"{d.name}: {t.name}" for d, t in THRESHOLDS])
def test_the_builtin_cases_reach_both_sides_of_every_declared_threshold(declaration, threshold):
    """Per op, dtype and channel kind (`conformance.harness.coverage.threshold_gaps`, which the
    coverage table shows too)."""
    missing = coverage.threshold_gaps(declaration, threshold, PARSED)
    assert not missing, f"{declaration.name}: no built-in case for {missing}"


def test_a_threshold_side_no_case_reaches_is_named():
    """The test above fails when the cases of one side are removed on purpose."""
    declaration = backends.declaration("numpy")
    threshold = next(t for t in declaration.thresholds if t.limit == "PARALLEL_LIMIT")
    below = [(raw, case) for raw, case in PARSED
             if case.geometry.measure("outputs") <= declaration.limit(threshold)]
    assert "learn float64 channels above outputs = " + str(declaration.limit(threshold)) in \
        coverage.threshold_gaps(declaration, threshold, below)


@pytest.mark.parametrize("name", backends.names())
def test_every_size_constant_is_a_declared_threshold(name):
    """A blocking without a declared threshold is a path no case is known to reach."""
    declaration = backends.declaration(name)
    constants = {node.id for path in declaration.sources() for stmt in ast.parse(path.read_text()).body
                 if isinstance(stmt, ast.Assign)
                 for target in stmt.targets for node in ast.walk(target)
                 if isinstance(node, ast.Name) and SIZE_CONSTANT.search(node.id)}
    declared = {t.limit for t in declaration.thresholds if isinstance(t.limit, str)}
    assert constants <= declared, f"{declaration.folder}: size constants {sorted(constants - declared)} " \
                                  "are no declared threshold's limit"


# Bugs planted past a threshold: one line of the function a threshold names, changed the way
# a slip would change it. Each must be caught on the cases above the threshold, and only there.
BLOCK_BUGS = {
    "each block after the first drops its last element": (
        "stop = min(start + step, span)", "stop = min(start + step, span) - (start > 0)"),
    "the last block is lost": (
        "for start in range(0, span, step):", "for start in range(0, max(span - step, 1), step):"),
}


class _PoisonedNumpy:
    """NumPy, but its empty arrays come filled with NaN (-1 for integers): an element the
    planted function never writes then reads as wrong, not as what the allocator left there,
    which was the previous case's correct output often enough to hide a lost block."""

    def __getattr__(self, name):
        return getattr(np, name)

    @staticmethod
    def empty(*args, **kwargs):
        return _poison(np.empty(*args, **kwargs))

    @staticmethod
    def empty_like(*args, **kwargs):
        return _poison(np.empty_like(*args, **kwargs))


def _poison(array):
    array.fill(np.nan if array.dtype.kind in "fc" else -1)
    return array


def _planted(monkeypatch, backend, function, old, new):
    poisoned = {"np": _PoisonedNumpy()} if vars(defining_module(backend, function)).get("np") is np else {}
    plant(monkeypatch, backend, function, old, new, poisoned)


def _blocked(declaration):
    return [t for t in declaration.thresholds if t.code and isinstance(t.limit, str)]


@pytest.mark.parametrize("bug", sorted(BLOCK_BUGS))
def test_a_bug_past_a_block_threshold_is_caught_there_and_only_there(backend, monkeypatch, bug):
    blocked = _blocked(backend.declaration)
    if not blocked:
        pytest.skip(f"{backend.name} declares no blocks")
    old, new = BLOCK_BUGS[bug]
    for threshold in blocked:
        limit = backend.declaration.limit(threshold)
        chosen = [raw for raw, case in PARSED if threshold.applies(case.op, case.geometry)]
        above = {raw["id"] for raw, case in PARSED if raw in chosen
                 and case.geometry.measure(threshold.measure) > limit}
        assert above, threshold.name
        with monkeypatch.context() as patch:
            _planted(patch, backend, threshold.code, old, new)
            planted = {"backend": "planted", "results": run_cases(backend, chosen)}
        caught = {failure.case for failure in compare([planted], chosen).failures}
        assert caught == above, (threshold.name, sorted(caught ^ above), messages(compare([planted], chosen))[:3])


def test_a_bug_in_the_flat_forms_wrapped_columns_is_caught(backend, monkeypatch):
    """The flat form computes rows as wide as the padded input and crops the columns that
    wrap around; cropping one column off is caught by every stride-1 case it runs."""
    flat = [t for t in backend.declaration.thresholds if t.code and t.measure == "stride"]
    if not flat:
        pytest.skip(f"{backend.name} has no flat form")
    source = inspect.getsource(defining_module(backend, "_corr2d_flat")._corr2d_flat)
    crop = re.search(r"\[\.\.\., :ow\]|end=ow\)", source)
    assert crop, "the flat form's crop moved: update the planted bug"
    wrong = "[..., 1 : ow + 1]" if crop.group() == "[..., :ow]" else "end=ow + 1)"
    with monkeypatch.context() as patch:
        plant(patch, backend, "_corr2d_flat", crop.group(), wrong)
        chosen = [raw for raw, case in PARSED if case.op == "corr2d" and flat[0].applies("corr2d", case.geometry)
                  and case.geometry.measure("stride") == 1 and not cases.is_large(raw)]
        planted = {"backend": "planted", "results": run_cases(backend, chosen)}
    assert not compare([planted], chosen).ok
