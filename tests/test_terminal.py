"""`compare` in a terminal: 120 columns, the disagreements first and worst first, a line of
counts per backend, the documented differences one line each (their text with --verbose),
the whole matrix only with --matrix, the outcome as JSON with --json.

The results are real: this session's backend and two planted NumPy copies (tests/planting.py)
run a dozen cases through the runner, one copy wrong on its fast path (off by a relative
error on every case, raising on a NaN input), the other a learner's MXNet code in numpy
mode (spec/differences.py: NaN where a sum meets an infinity), a documented difference.
"""

import json
import re

import numpy as np
import pytest

from convsuite import backends
from convsuite.conformance.cli import main
from convsuite.conformance.harness import results, runner
from convsuite.spec import cases
from convsuite.spec.shapes import DEFAULT
from planting import planted

WIDTH = 120
CHOSEN = ["corr2d-lesson-3x3", "corr2d-multi-in-lesson", "conv2d-lesson-3x3", "corr2d-multi-in-out-lesson",
          "special-nan-in-input", "special-inf-times-zero-tap", "geometry-all-grad-one-channel",
          "geometry-all-layer-one-channel-float64", "error-kernel-larger-than-input"]
LONG_ID = "a-case-whose-id-alone-is-nearly-as-wide-as-the-terminal-" * 2
ESCAPE = re.compile("\033\\[[0-9;]*m")
correct_corr2d = backends.load("numpy").corr2d


def _off_by_a_little(X, K, geometry=DEFAULT):
    """Wrong on every case, by a share of the output's size (so each case is off by its own
    multiple of the tolerance), and raising where the input holds a NaN."""
    X_ = np.asarray(X)
    if np.isnan(X_).any():
        raise RuntimeError("planted: NaN input")
    Y = correct_corr2d(X, K, geometry)
    return Y + 1e-3 * (1 + np.abs(Y).max()) * (np.arange(Y.size).reshape(Y.shape) % 3 + 1)


def _numpy_mode_sum(X, K, geometry=DEFAULT):
    """mxnet.numpy after npx.set_np(): a sum that meets an infinity is NaN."""
    Y = correct_corr2d(X, K, geometry)
    if not (np.isfinite(np.asarray(X)).all() and np.isfinite(np.asarray(K)).all()):
        return np.full_like(Y, np.nan)
    return Y


@pytest.fixture(scope="module")
def files(backend, tmp_path_factory):
    """(case file, [results files]): this backend's, the wrong copy's, the learner's."""
    folder = tmp_path_factory.mktemp("terminal")
    by_id = {raw["id"]: raw for raw in cases.load()}
    chosen = [by_id[case_id] for case_id in CHOSEN] + [{**by_id["corr2d-lesson-3x3"], "id": LONG_ID}]
    case_file = folder / "cases.json"
    case_file.write_text(json.dumps({"cases": chosen}))
    written = []
    for name, runs in [
        (backend.name, backend),
        ("planted", planted("numpy", name="planted", corr2d=_off_by_a_little)),
        ("learner@mxnet", planted("numpy", name="learner@mxnet", corr2d=_numpy_mode_sum)),
    ]:
        path = folder / f"{name}.json"
        results.write(path, name, versions=runs.versions(), case_files=[case_file], runs=runner.run_paths(runs, chosen))
        written.append(str(path))
    return str(case_file), written


def compare(capsys, files, *options):
    case_file, paths = files
    code = main(["compare", *paths, "--cases", case_file, *options])
    captured = capsys.readouterr()
    return code, captured.out


def _disagreement_rows(text):
    """The lines under the disagreements' header, up to the counts."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.lstrip().startswith("error/tol")) + 1
    end = next(i for i, line in enumerate(lines) if line.startswith("per backend"))
    return lines[start:end]


def test_the_default_output_fits_120_columns(capsys, files):
    code, text = compare(capsys, files)
    assert code == 1
    too_wide = [line for line in text.splitlines() if len(line) > WIDTH]
    assert not too_wide, f"{len(too_wide)} line(s) wider than {WIDTH} columns, the widest {max(map(len, too_wide))}"
    assert LONG_ID[:40] in text  # the long case is there, its line cut to fit
    assert "\033[" not in text  # no color unless asked for (stdout is not a terminal here)


def test_disagreements_come_first_the_worst_first(capsys, files):
    _, text = compare(capsys, files)
    lines = text.splitlines()
    assert "disagreement(s), the worst first" in lines[1]
    assert lines.index(next(line for line in lines if line.startswith("per backend"))) > 2
    rows = _disagreement_rows(text)
    assert rows and all(" planted:" in row for row in rows)  # the correct backends are never blamed
    # The exception first (it weighs infinity), then numbers as multiples of the tolerance, falling.
    assert rows[0].split()[0] == "raised" and "special-nan-in-input" in rows[0]
    weights = [float(row.split()[0].rstrip("x")) for row in rows if row.split()[0].endswith("x")]
    assert len(weights) >= 5 and weights == sorted(weights, reverse=True) and weights[-1] > 1


def test_one_line_of_counts_per_backend(capsys, files, backend):
    _, text = compare(capsys, files)
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("per backend"))
    header = lines[start + 1].split()
    assert header[:2] == ["backend", "fast"]
    rows = {line.split()[0]: line.split()[1:] for line in lines[start + 2: start + 5]}
    assert set(rows) == {backend.name, "planted", "learner@mxnet"}
    agree, documented, fail, skipped, not_applicable = map(int, rows["planted"][0].split("/"))
    assert fail >= 6 and skipped == 0 and agree + documented + fail + not_applicable == len(CHOSEN) + 1
    assert int(rows["learner@mxnet"][0].split("/")[1]) == 2  # its two special cases: documented


def test_documented_differences_one_line_each_their_text_with_verbose(capsys, files):
    _, text = compare(capsys, files)
    why = "mxnet.numpy's sum of an array"
    assert "mxnet-numpy-mode-sum-of-an-infinity-is-nan" in text and why not in text
    assert sum("learner@mxnet" in line and "special-" in line for line in text.splitlines()) == 2
    _, verbose = compare(capsys, files, "--verbose")
    assert why in verbose
    assert "backend planted, case special-nan-in-input: raised RuntimeError: planted: NaN input" in verbose
    assert max(map(len, verbose.splitlines())) <= WIDTH  # the long texts wrapped, not cut
    assert verbose.splitlines()[-1] == text.splitlines()[-1]


def test_the_matrix_only_with_matrix(capsys, files, backend):
    columns = ["case", "reference", *[f"{name}{path}" for name in (backend.name, "planted", "learner@mxnet")
                                      for path in ["", ":builtin"]]]
    _, text = compare(capsys, files)
    assert not any(line.split()[:2] == ["case", "reference"] for line in text.splitlines())
    _, matrix = compare(capsys, files, "--matrix")
    header = next(line.split() for line in matrix.splitlines() if line.split()[:2] == ["case", "reference"])
    assert set(columns) <= set(header)
    assert all(any(line.startswith(case_id) for line in matrix.splitlines()) for case_id in CHOSEN)
    assert matrix.endswith(text.split("\n", 1)[1])  # the matrix, then the same view (its title aside)


def test_color_only_when_asked_and_the_same_text(capsys, files):
    _, plain = compare(capsys, files, "--color", "never")
    _, colored = compare(capsys, files, "--color", "always")
    assert "\033[31m" in colored and ESCAPE.sub("", colored) == plain
    assert colored.splitlines()[-1] == plain.splitlines()[-1]  # the verdict, never colored


def test_json_is_the_outcome_and_nothing_else(capsys, files, backend, tmp_path):
    case_file, paths = files
    skipped = tmp_path / "absent.json"
    results.write(skipped, "absent", versions={}, case_files=[case_file], skipped="cannot import absent_framework")
    code = main(["compare", *paths, str(skipped), "--cases", case_file, "--json"])
    captured = capsys.readouterr()
    outcome = json.loads(captured.out)  # the whole of stdout
    assert code == 1 and outcome["verdict"] == "disagree" and outcome["cases"] == len(CHOSEN) + 1
    assert outcome["skipped"] == {"absent": "cannot import absent_framework"}
    assert outcome["documented_ids"] == ["mxnet-numpy-mode-sum-of-an-infinity-is-nan"]
    assert {(d["backend"], d["path"]) for d in outcome["documented"]} == {("learner@mxnet", "fast")}
    counts = {(row["backend"], row["path"]): row for row in outcome["counts"]}
    assert {(backend.name, "fast"), ("planted", "builtin"), ("absent", None)} <= set(counts)
    assert counts["absent", None]["skipped"] == len(CHOSEN) + 1
    assert counts["planted", "builtin"]["fail"] == 0 and counts["planted", "fast"]["fail"] >= 6
    disagreements = outcome["disagreements"]
    assert {d["backend"] for d in disagreements} == {"planted"}
    assert all({"case", "backend", "path", "error", "tolerance", "ratio", "kind"} <= set(d) for d in disagreements)
    assert disagreements[0]["case"] == "special-nan-in-input" and disagreements[0]["ratio"] is None
    ratios = [d["ratio"] for d in disagreements if d["ratio"] is not None]
    assert ratios == sorted(ratios, reverse=True) and ratios[-1] > 1
    assert all(d["ratio"] == pytest.approx(d["error"] / d["tolerance"]) for d in disagreements if d["ratio"])
