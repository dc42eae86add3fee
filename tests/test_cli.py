"""`python -m conformance run` and `compare` as users call them, in a real subprocess."""

import json
import pathlib
import subprocess
import sys

import pytest

from convsuite import backends
from convsuite.conformance.cli import main
from planting import throwaway_backend

ROOT = pathlib.Path(__file__).resolve().parent.parent


def conformance(*args):
    return subprocess.run([sys.executable, "-m", "convsuite.conformance", *args], cwd=ROOT,
                          capture_output=True, text=True)


@pytest.fixture(scope="module")
def numpy_results(tmp_path_factory):
    out = tmp_path_factory.mktemp("results") / "numpy.json"
    done = conformance("run", "--backend", "numpy", "--out", str(out))
    assert done.returncode == 0, done.stderr
    return out


def test_run_writes_one_result_per_case_in_order_with_versions(numpy_results):
    from convsuite.spec import cases

    document = json.loads(numpy_results.read_text())
    assert document["backend"] == "numpy"
    assert set(document["versions"]) >= {"framework", "numpy", "python"}
    assert [r["id"] for r in document["results"]] == [c["id"] for c in cases.load()]
    errors = [r for r in document["results"] if "error" in r]
    assert errors and all(set(r["error"]) == {"type", "message"} for r in errors)


def test_compare_prints_the_counts_and_exits_zero_when_all_agree(numpy_results):
    from convsuite.spec import cases

    done = conformance("compare", str(numpy_results))
    assert done.returncode == 0, done.stdout
    lines = done.stdout.splitlines()
    assert lines[2].split() == ["backend", "fast", "builtin", "compiled"]  # no disagreement: the counts first
    assert lines[3].split()[0] == "numpy" and lines[3].split()[1].split("/")[2] == "0"  # none fails
    assert done.stdout.rstrip().endswith(f"1 backend(s) ran {len(cases.load())} cases and agree")
    matrix = conformance("compare", str(numpy_results), "--matrix")  # the whole matrix: behind --matrix
    assert matrix.stdout.splitlines()[1].split() == ["case", "reference", "numpy", "numpy:builtin", "numpy:compiled"]
    assert "corr2d-lesson-3x3" in matrix.stdout and "corr2d-lesson-3x3" not in done.stdout


def test_compare_exits_nonzero_and_says_where(numpy_results, tmp_path):
    document = json.loads(numpy_results.read_text())
    document["backend"] = "doctored"
    for result in document["results"]:
        if result["id"] == "corr2d-edge-6x8":
            result["Y"][2][5] = -0.999
    doctored = tmp_path / "doctored.json"
    doctored.write_text(json.dumps(document))
    done = conformance("compare", str(numpy_results), str(doctored))
    assert done.returncode == 1
    lines = [line for line in done.stdout.splitlines() if "corr2d-edge-6x8" in line]  # one line each
    assert lines and all(line.split()[1:3] == ["doctored:fast", "corr2d-edge-6x8"] for line in lines)
    assert any("vs reference: Y[2, 5] is -0.999" in line for line in lines)
    assert "numpy:" not in done.stdout  # the correct backend is not blamed
    verbose = conformance("compare", str(numpy_results), str(doctored), "--verbose")  # the whole sentence
    assert "backend doctored, case corr2d-edge-6x8: Y element [2, 5] is -0.999" in verbose.stdout
    assert "backend numpy," not in verbose.stdout


def test_a_custom_case_file_runs_and_a_bad_case_does_not_stop_the_others(tmp_path):
    case_file = tmp_path / "mine.json"
    case_file.write_text(json.dumps({"cases": [
        {"id": "bad", "op": "corr2d", "X": [[1, 2]], "K": [[1, 2, 3]]},
        {"id": "good", "op": "corr2d", "X": [[1, 2, 3]], "K": [[1, 1]], "expect": {"Y": [[3, 5]]}},
    ]}))
    out = tmp_path / "numpy.json"
    assert conformance("run", "--backend", "numpy", "--cases", str(case_file), "--out", str(out)).returncode == 0
    results = json.loads(out.read_text())["results"]
    assert results[0]["error"]["type"] == "ValueError" and results[1]["Y"] == [[3.0, 5.0]]
    # The bad case says nothing of an error: it is broken, however every backend raises.
    broken = conformance("compare", str(out), "--cases", str(case_file))
    assert broken.returncode == 1 and "case bad is broken: the reference raises ValueError" in broken.stdout
    declared = json.loads(case_file.read_text())
    declared["cases"][0]["expect"] = {"error": "ValueError"}
    case_file.write_text(json.dumps(declared))
    assert conformance("compare", str(out), "--cases", str(case_file)).returncode == 0


def test_a_misspelt_field_is_a_broken_case_named_with_the_reference_message(tmp_path):
    """Measured on the old main: "strid" ran as a ValueError everywhere and compare agreed."""
    case_file = tmp_path / "mine.json"
    case_file.write_text(json.dumps({"cases": [
        {"id": "a", "op": "corr2d", "X": [[1, 2, 3]], "K": [[1, 1]], "strid": 2},
        {"id": "b", "op": "corr2d", "X": [[1, 2, 3]], "K": [[1, 1]]},
    ]}))
    out = tmp_path / "numpy.json"
    assert conformance("run", "--backend", "numpy", "--cases", str(case_file), "--out", str(out)).returncode == 0
    done = conformance("compare", "--cases", str(case_file), str(out))
    assert done.returncode == 1
    assert "case a is broken: the reference raises ValueError: unknown fields ['strid']" in done.stdout


@pytest.fixture
def unavailable_backend(tmp_path, monkeypatch):
    throwaway_backend(tmp_path, monkeypatch, "absent", framework_import="absent_framework")
    return "absent"


def test_a_framework_that_cannot_import_is_a_clear_error(unavailable_backend, tmp_path):
    with pytest.raises(backends.BackendUnavailable, match="pip install -r backends/absent/requirements.txt"):
        backends.load(unavailable_backend)
    with pytest.raises(ValueError, match="unknown backend"):
        backends.load("theano")


def test_a_skipped_backend_is_reported_as_skipped_never_as_passed(
        unavailable_backend, numpy_results, tmp_path, capsys):
    skipped = tmp_path / "absent.json"
    assert main(["run", "--backend", "absent", "--out", str(skipped)]) == 3
    assert "cannot import" in json.loads(skipped.read_text())["skipped"]
    capsys.readouterr()
    assert main(["compare", str(numpy_results), str(skipped)]) == 1
    printed = capsys.readouterr().out
    assert "SKIPPED backend absent" in printed and "1 skipped, not passed" in printed
    (counts,) = [line for line in printed.splitlines() if line.split()[:1] == ["absent"]]
    assert counts.split()[1] == "skipped:"  # the backend's line of counts
    assert main(["compare", str(numpy_results), str(skipped), "--allow-skipped"]) == 0


@pytest.mark.parametrize("content, problem", [
    (None, "no such results file"),
    ('{"backend": "numpy", "results": [{"id": "a", "Y": [[1', "not JSON, or cut short"),
    ("{}", "not a convsuite results file (no 'backend')"),
    ('{"backend": "numpy"}', "has neither 'results' nor 'skipped'"),
], ids=["missing", "truncated", "empty-object", "no-results"])
def test_a_broken_results_file_is_one_line_naming_it_and_exit_2(tmp_path, content, problem):
    path = tmp_path / "broken.json"
    if content is not None:
        path.write_text(content)
    done = conformance("compare", str(path))
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and done.stderr.startswith(f"error: {path}: {problem}"), done.stderr


@pytest.mark.parametrize("content, problem", [
    ('{"cases": [{"id": "a", "op": ', "cannot read case file"),
    ('{"cases": [{"id": "a", "op": "corr2d"}, {"id": "a", "op": "corr2d"}]}', "case id 'a' also in"),
    ('[1, 2]', 'a case file is {"cases": [...]}'),
], ids=["json-syntax", "duplicate-id", "not-a-case-file"])
def test_a_broken_case_file_is_one_line_naming_it_and_exit_2(tmp_path, numpy_results, content, problem):
    path = tmp_path / "cases.json"
    path.write_text(content)
    for command in (["run", "--backend", "numpy", "--out", str(tmp_path / "r.json")], ["compare", str(numpy_results)]):
        done = conformance(*command, "--cases", str(path))
        assert done.returncode == 2, done.stderr
        assert done.stderr.count("\n") == 1 and done.stderr.startswith(f"error: {path}: {problem}"), done.stderr


def test_cases_takes_one_file_and_leaves_the_results_to_the_positionals(numpy_results, tmp_path):
    """Measured on the old main: `compare --cases my.json results/*.json` took every results
    file as a case file, then failed for want of results."""
    from convsuite.spec import cases

    mine = tmp_path / "mine.json"
    mine.write_text(json.dumps({"cases": cases.load()}))
    done = conformance("compare", "--cases", str(mine), str(numpy_results))
    assert done.returncode == 0, done.stdout + done.stderr
