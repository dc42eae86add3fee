"""No path without its case: every feature a backend's path takes reaches that path in some
built-in case (`conformance.harness.coverage`), and README.md shows the table as it is now.

These tests read cases and declarations only, so they hold every registered backend in
every session.
"""

import dataclasses
import pathlib
import re

import pytest

from convsuite import backends
from convsuite.backends import contract, facts
from convsuite.conformance import cli
from convsuite.conformance.harness import coverage
from convsuite.spec import cases

README = pathlib.Path(__file__).parent.parent / "README.md"
MARKERS = re.compile(r"<!-- coverage:start -->\n(.*?)<!-- coverage:end -->", re.S)


def test_every_feature_a_path_accepts_reaches_it_in_a_builtin_case():
    missing = [str(cell) for cell in coverage.gaps()]
    assert not missing, "no built-in case reaches: " + "; ".join(missing)


def test_removing_the_only_case_of_a_cell_is_named():
    """The test above fails when a case is removed on purpose: the compiled learning loop's
    only batches with a dilation come from spec/cases/coverage.json."""
    without = [raw for raw in cases.load() if not raw["id"].startswith("cov-learn-batch-dilation-")]
    named = {str(cell) for cell in coverage.gaps(without)}
    assert "op learn, path compiled, feature batch over one" in named
    assert "op learn, path compiled, feature dilation over one (height)" in named
    assert "op learn, path compiled builtin, feature batch over one" in named


def test_a_cell_every_backend_declares_it_cannot_take_is_shown_not_required():
    without = [raw for raw in cases.load() if not raw["id"].startswith("cov-learn-batch-dilation-")]
    item = {"path": "compiled", "op": "learn", "feature": "batch over one", "why": "a planted reason"}
    declarations = [dataclasses.replace(d, cannot=(item,)) for d in backends.declarations()]
    cell = next(c for c in coverage.table(without, declarations)
                if (c.op, c.path, c.feature) == ("learn", "compiled", "batch over one"))
    assert not cell.required and not cell.covered
    assert str(cell) not in {str(c) for c in coverage.gaps(without, declarations)}
    assert "cannot: a planted reason" in coverage.markdown(without, declarations)
    one = [dataclasses.replace(d, cannot=(item,)) if d.name == "numpy" else d for d in backends.declarations()]
    assert str(cell) in {str(c) for c in coverage.gaps(without, one)}, "the others' compiled loops take it"


@pytest.mark.parametrize("item, problem", [
    ({"path": "compiled", "op": "learn", "feature": "batch over one"}, "exactly the fields"),
    ({"path": "compiled", "op": "learn", "feature": "batch over one", "why": "x", "note": "y"}, "exactly the fields"),
    ({"path": "compiled", "op": "lern", "feature": "batch over one", "why": "x"}, "op is one of"),
    ({"path": "jitted", "op": "learn", "feature": "batch over one", "why": "x"}, "op is one of"),
    ({"path": "compiled", "op": "learn", "feature": 3, "why": "x"}, "every field is a string"),
])
def test_a_misspelt_cannot_is_an_error_naming_the_file(item, problem):
    raw = {"framework": "F", "requirements": "r.txt", "python": "3.11", "flushes_subnormals": False,
           "layer_bases": ["a.B", "a.C"], "cannot": [item]}
    with pytest.raises(contract.ContractError, match=rf"some_backend/backend\.toml: .*{problem}"):
        facts._checked(raw, pathlib.Path("some_backend", "__init__.py"))


def test_a_cannot_naming_no_cell_is_an_error_naming_the_file():
    item = {"path": "builtin", "op": "corr2d", "feature": "batch over 1", "why": "x"}
    declarations = [dataclasses.replace(backends.declaration("numpy"), cannot=(item,))]
    with pytest.raises(backends.ContractError, match=r"numpy/backend\.toml: .*names no cell"):
        coverage.table(declarations=declarations)


def test_the_readme_shows_the_table_as_the_cases_give_it_now():
    found = MARKERS.search(README.read_text())
    assert found, "README.md has no <!-- coverage:start --> ... <!-- coverage:end --> section"
    assert found.group(1) == coverage.markdown(), \
        "README.md's coverage table is stale: python -m conformance coverage --write FILE, and paste it"


def test_the_coverage_command_prints_and_writes_the_table(tmp_path, capsys):
    assert cli.main(["coverage"]) == 0
    assert capsys.readouterr().out == coverage.markdown()
    assert cli.main(["coverage", "--write", str(tmp_path / "coverage.md")]) == 0
    assert (tmp_path / "coverage.md").read_text() == coverage.markdown()


def test_the_coverage_command_fails_naming_an_uncovered_cell(tmp_path, capsys, monkeypatch):
    without = [raw for raw in cases.load() if not raw["id"].startswith("cov-learn-batch-dilation-")]
    monkeypatch.setattr(cases, "load", lambda paths=None: without)
    assert cli.main(["coverage"]) == 1
    assert "op learn, path compiled, feature batch over one" in capsys.readouterr().err
