"""A new framework is one folder and one registry line (issue 26).

The throwaway backend is a copy of `backends/numpy/` changed only where a new backend's
author would change it (its name, its framework's name in prose), registered with one line:
everything that reads the registry has it, from its facts (read without importing it) to
the harness's comparison; and a copy that lacks a required name is refused, naming it.
Lesson-sized cases only (`spec.cases.is_large`): this is about the registry, not the sizes.
And the fast and built-in paths only: Numba caches the compiled path's kernels by their
file's path, so a copy in a fresh folder would compile every kernel anew (a minute on two
cores); the contract still holds the copy to the compiled path's names.
"""

import sys

import pytest

from convsuite import backends
from convsuite.backends import contract
from convsuite.conformance.harness.compare import compare
from convsuite.conformance.harness.runner import applies, run_paths
from convsuite.spec import cases
from planting import messages, throwaway_backend, without_name


@pytest.fixture
def toy(tmp_path, monkeypatch):
    """The folder of the throwaway backend "toy", registered."""
    return throwaway_backend(tmp_path / "toy_pkg", monkeypatch, "toy", framework="Toy")


def test_its_folder_is_listed_and_its_facts_read_without_importing_it(toy):
    numpy = backends.declaration("numpy")
    assert backends.names()[-1] == "toy"
    declaration = backends.declaration("toy")
    assert declaration.framework == "Toy" and declaration.folder == toy and declaration.module == "toy"
    environment = declaration.main
    assert (environment.session, environment.default) == ("toy", True) and environment in backends.environments()
    assert environment.requirements == "backends/toy/requirements.txt" and (toy / "requirements.txt").is_file()
    assert declaration.thresholds == numpy.thresholds and declaration.thresholds
    assert [declaration.limit(t) for t in declaration.thresholds] == [numpy.limit(t) for t in numpy.thresholds]
    assert declaration.missing() == []
    assert not [m for m in sys.modules if m == "toy" or m.startswith("toy.")]  # nothing of it imported


def test_it_loads_meets_the_contract_and_agrees_with_the_reference_on_every_lesson_case(toy):
    backend = backends.load("toy")
    assert backend.name == "toy" and backend.module.__file__ == str(toy / "__init__.py")
    assert backend.corr2d.__module__.startswith("toy.")  # its own code, not NumPy's backend's
    assert backend.offers("compiled") and "corr2d_compiled" in backend.declaration.defined_names()
    lesson = [raw for raw in cases.load() if not cases.is_large(raw)]
    document = {"backend": "toy", **run_paths(backend, lesson, paths=["builtin"])}
    for path, results in [("fast", document["results"]), ("builtin", document["paths"]["builtin"])]:
        assert [r["id"] for r in results] == [raw["id"] for raw in lesson if applies(raw, path)], path
        assert sum("error" not in r for r in results) > len(results) / 2, path  # computed, not refused
    outcome = compare([document], lesson)
    assert outcome.ok, "\n".join(messages(outcome))
    assert set(outcome.backends) == {"reference", "toy", "toy:builtin"}


def test_a_copy_without_a_required_name_fails_the_contract_naming_it(toy):
    without_name(toy / "__init__.py", "learn")
    with pytest.raises(contract.ContractError, match=r"backend 'toy' .* lacks required name 'learn'"):
        backends.load("toy")
    assert "toy" not in sys.modules  # refused from its source, before its package ran
