"""`python -m conformance run` and `compare` as users call them, in a real subprocess."""

import json
import pathlib
import subprocess
import sys

import pytest

import backends
from conformance.__main__ import main
from planting import throwaway_backend

ROOT = pathlib.Path(__file__).resolve().parent.parent


def conformance(*args):
    return subprocess.run([sys.executable, "-m", "conformance", *args], cwd=ROOT,
                          capture_output=True, text=True)


@pytest.fixture(scope="module")
def numpy_results(tmp_path_factory):
    out = tmp_path_factory.mktemp("results") / "numpy.json"
    done = conformance("run", "--backend", "numpy", "--out", str(out))
    assert done.returncode == 0, done.stderr
    return out


def test_run_writes_one_result_per_case_in_order_with_versions(numpy_results):
    from spec import cases

    document = json.loads(numpy_results.read_text())
    assert document["backend"] == "numpy"
    assert set(document["versions"]) >= {"framework", "numpy", "python"}
    assert [r["id"] for r in document["results"]] == [c["id"] for c in cases.load()]
    errors = [r for r in document["results"] if "error" in r]
    assert errors and all(set(r["error"]) == {"type", "message"} for r in errors)


def test_compare_prints_the_matrix_and_exits_zero_when_all_agree(numpy_results):
    from spec import cases

    done = conformance("compare", str(numpy_results))
    assert done.returncode == 0, done.stdout
    assert done.stdout.splitlines()[1].split() == ["case", "reference", "numpy", "numpy:builtin"]
    assert "corr2d-lesson-3x3" in done.stdout
    assert done.stdout.rstrip().endswith(f"1 backend(s) ran {len(cases.load())} cases and agree")


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
    assert "backend doctored, case corr2d-edge-6x8: Y element [2, 5] is -0.999" in done.stdout
    assert "backend numpy," not in done.stdout  # the correct backend is not blamed


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
    assert conformance("compare", str(out), "--cases", str(case_file)).returncode == 0


@pytest.fixture
def unavailable_backend(tmp_path, monkeypatch):
    throwaway_backend(tmp_path, monkeypatch, "absent", framework_import="absent_framework")
    return "absent"


def test_a_framework_that_cannot_import_is_a_clear_error(unavailable_backend, tmp_path):
    with pytest.raises(backends.BackendUnavailable, match=f"pip install -r {tmp_path}/requirements.txt"):
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
    assert printed.splitlines()[3].split()[-1] == "skipped"  # the backend's matrix cell
    assert main(["compare", str(numpy_results), str(skipped), "--allow-skipped"]) == 0
