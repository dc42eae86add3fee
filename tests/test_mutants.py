"""The mutation session's data (nox -s mutants): the equivalents file is well-formed and not
stale, the targets name functions that exist, and the report fails on a survivor."""

import json
import pathlib

import pytest

from convsuite.conformance.mutants import equivalents, scope, session

ROOT = pathlib.Path(__file__).resolve().parents[1]


def test_every_equivalent_names_a_line_that_still_reads_as_declared_and_says_why():
    for entry in equivalents.load(ROOT):
        assert entry["reason"].strip() and entry["operator"].startswith("core/")


def _root(tmp_path, entry, source="a = 1 + 2\n"):
    (tmp_path / "m.py").write_text(source)
    (tmp_path / "tests" / "mutants").mkdir(parents=True)
    fields = {"file": "m.py", "line": 1, "text": "a = 1 + 2", "operator": "core/ReplaceBinaryOperator_Add_Sub",
              "mutant": "a = 1 - 2",
              "reason": "planted", **entry}
    body = "".join(f"{key} = {json.dumps(value)}\n" for key, value in fields.items() if value is not None)
    (tmp_path / equivalents.FILE).write_text("[[equivalent]]\n" + body)
    return tmp_path


def test_a_well_formed_entry_loads(tmp_path):
    assert equivalents.load(_root(tmp_path, {}))[0]["file"] == "m.py"


@pytest.mark.parametrize("entry, problem", [
    ({"text": "a = 1 - 2"}, "stale"),  # the line changed since the entry was written
    ({"line": 2}, "stale"),  # past the file's end
    ({"file": "gone.py"}, "no file gone.py"),
    ({"reason": " "}, "an empty reason"),
    ({"reason": None}, "'reason' missing"),
    ({"line": "1"}, "'line' missing or not a int"),
])
def test_a_stale_or_malformed_entry_fails_naming_the_file_and_entry(tmp_path, entry, problem):
    with pytest.raises(equivalents.EquivalentsError, match=rf"^{equivalents.FILE}: entry 1: .*{problem}"):
        equivalents.load(_root(tmp_path, entry))


def test_every_target_function_exists():
    for backend in scope.targets().keys() - {"operators"}:
        spans = scope.ranges(ROOT, backend)
        assert all(spans.values()), backend


def test_a_target_that_is_gone_is_named():
    with pytest.raises(ValueError, match="gone: missing"):
        scope.function_lines("def here():\n    pass\n", ["here", "missing"])


def _dumped(verdict, output=None):
    """One line of `cosmic-ray dump`: a work item and its result."""
    item = {"job_id": "1", "mutations": [{"module_path": "m.py", "operator_name": "core/NumberReplacer",
                                          "occurrence": 0, "start_pos": [3, 4], "end_pos": [3, 5]}]}
    skipped = verdict == "skipped"
    result = {"worker_outcome": "skipped" if skipped else "normal", "output": output,
              "test_outcome": None if skipped else verdict, "diff": "-a = 1\n+a = 2"}
    return json.dumps([item, result])


def test_a_survivor_is_printed_with_its_line_and_counted_and_an_equivalent_is_listed():
    dump = "\n".join([_dumped("killed"), _dumped("survived"), _dumped("skipped", scope.EQUIVALENT + "why"),
                      _dumped("skipped", scope.OUT_OF_SCOPE)])
    said = []
    assert session.report(list(session.outcomes(dump)), said.append) == 1
    text = "\n".join(said)
    assert "SURVIVED m.py:3 core/NumberReplacer" in text and "+a = 2" in text
    assert "equivalent, skipped: m.py:3 core/NumberReplacer: why" in text
    assert "m.py: 1/2 killed, 1 equivalent" in text and "score 1/2" in text


def test_all_killed_is_no_survivor():
    assert session.report(list(session.outcomes(_dumped("killed"))), [].append) == 0
