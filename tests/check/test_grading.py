"""`check --students DIR --points ...`: grading a class of 40 students (course/students/).

grades.csv and every feedback file are pinned line by line (tests/check/expected_grades/),
written by one process and by the merge of 3 shards, byte for byte the same; the exit
statuses; the --points usage errors. To pin again after a deliberate change:

    python -m convsuite.conformance check --students course/students --backend numpy \
        --points corr2d=2,Conv2D=2,learn=1 --summary /tmp/graded
    cp -r /tmp/graded/grades.csv /tmp/graded/feedback tests/check/expected_grades/
"""

import csv
import json
import os
import pathlib
import shutil
import subprocess
import sys

import pytest

from checking import COURSE, ROOT, check

pytestmark = pytest.mark.check_backend("numpy")

STUDENTS = COURSE / "students"
EXPECTED = pathlib.Path(__file__).with_name("expected_grades")
POINTS = ("--points", "corr2d=2,Conv2D=2,learn=1")


def _grade(folder, *extra, summary):
    return check("--students", folder, "--backend", "numpy", *POINTS, *extra, summary=summary)


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """One process grading the whole class: (status, stdout, stderr, records, its folder)."""
    folder = tmp_path_factory.mktemp("graded")
    return (*_grade(STUDENTS, summary=folder), folder)


@pytest.fixture(scope="module")
def merged(tmp_path_factory):
    """Three shards, then --merge of their summaries: (each shard's status, the merge's, its folder)."""
    top = tmp_path_factory.mktemp("shards")
    statuses = [_grade(STUDENTS, "--shard", f"{k}/3", summary=top / f"shard{k}")[0] for k in (1, 2, 3)]
    assert not any((top / f"shard{k}" / "grades.csv").exists() for k in (1, 2, 3)), "a shard wrote grades"
    shards = sorted(str(p) for p in top.glob("shard*/summary-*-of-3.json"))
    assert len(shards) == 3, shards
    status, out, err, _ = check("--merge", *shards, summary=top / "merged")
    return statuses, status, top / "merged"


def _same_lines(path, expected):
    got, want = path.read_text().splitlines(), expected.read_text().splitlines()
    for number, (line, pinned) in enumerate(zip(got, want), 1):
        assert line == pinned, f"{path.name} line {number}:\n got  {line!r}\n want {pinned!r}"
    assert len(got) == len(want), f"{path.name}: {len(got)} lines, pinned {len(want)}"


def test_grades_csv_is_pinned_line_by_line(graded):
    status, out, err, records, folder = graded
    assert status == 0, (out, err)
    _same_lines(folder / "grades.csv", EXPECTED / "grades.csv")


def test_each_feedback_file_is_pinned_line_by_line(graded):
    folder = graded[-1] / "feedback"
    assert sorted(p.name for p in folder.iterdir()) == sorted(p.name for p in (EXPECTED / "feedback").iterdir())
    for expected in sorted((EXPECTED / "feedback").iterdir()):
        _same_lines(folder / expected.name, expected)


def test_the_merge_of_three_shards_writes_the_same_bytes(graded, merged):
    statuses, status, folder = merged
    assert statuses == [0, 0, 0] and status == 0
    one = graded[-1]
    assert (folder / "grades.csv").read_bytes() == (one / "grades.csv").read_bytes()
    names = sorted(p.name for p in (one / "feedback").iterdir())
    assert names == sorted(p.name for p in (folder / "feedback").iterdir()) and len(names) == 40
    for name in names:
        assert (folder / "feedback" / name).read_bytes() == (one / "feedback" / name).read_bytes(), name
    assert json.loads((folder / "summary.json").read_text())["grading"] == \
        json.loads((one / "summary.json").read_text())["grading"]


def _rows(folder):
    with open(folder / "grades.csv", newline="") as handle:
        return {row["student"]: row for row in csv.DictReader(handle)}


def test_one_verdict_per_student_and_the_rule_of_points(graded):
    status, out, err, records, folder = graded
    rows = _rows(folder)
    assert len(records) == len(rows) == 40 and set(records) == set(rows)
    assert list(rows) == sorted(rows)
    # all-or-nothing: 11 of 27 corr2d cases earn nothing; a full pass earns every point
    assert rows["student08-flipped-kernel"]["corr2d_passed"] == "11/27"
    assert rows["student08-flipped-kernel"]["score"] == "0"
    assert rows["student01-complete"]["score"] == rows["student01-complete"]["maximum"] == "5"
    # files loaded together: corr2d in one file, Conv2D (using it) in another
    for split in ("student03-split-py", "student04-split-notebook-and-py"):
        assert rows[split]["corr2d_passed"] == "27/27" and rows[split]["Conv2D_passed"] == "4/4", rows[split]
    assert records["student04-split-notebook-and-py"]["files"] == ["a_corr2d.ipynb", "b_layer.py"]
    # a missing function earns 0 and fails the student (the functions given points are required)
    missing = rows["student06-missing-conv2d"]
    assert missing["Conv2D_passed"] == "missing" and missing["score"] == "3"
    assert records["student06-missing-conv2d"]["status"] == "FAIL"
    # the README is not run, and said so in the summary and the feedback
    readme = records["student05-with-readme"]
    assert readme["status"] == "PASS" and readme["files"] == ["solution.py"]
    assert any("README.md" in note and "not code" in note for note in readme["notes"]), readme["notes"]
    assert "- README.md: not code" in (folder / "feedback" / "student05-with-readme.md").read_text()
    # a name defined in two files: the later file's is judged, and the feedback says so
    assert rows["student31-draft-and-final"]["score"] == "5"
    assert "corr2d is defined in a_draft.ipynb and b_final.py" in \
        (folder / "feedback" / "student31-draft-and-final.md").read_text()


def _small_class(tmp_path):
    """A passing and a failing student, for the runs that need not grade all 40."""
    folder = tmp_path / "class"
    for name in ("student01-complete", "student08-flipped-kernel"):
        shutil.copytree(STUDENTS / name, folder / name)
    return folder


def test_a_folder_without_subfolders_makes_each_file_a_student(tmp_path):
    folder = tmp_path / "class"
    folder.mkdir()
    shutil.copy(STUDENTS / "student01-complete" / "convolution.py", folder / "ada.py")
    shutil.copy(COURSE / "planted" / "transposed.py", folder / "bob.py")
    (folder / "notes.txt").write_text("the teacher's notes\n")
    status, out, err, records = _grade(folder, summary=tmp_path / "s")
    assert status == 0 and set(records) == {"ada", "bob"}, (out, err)
    assert "notes.txt: not code" in err and records["ada"]["files"] == ["ada.py"]
    rows = _rows(tmp_path / "s")
    assert rows["ada"]["score"] == "5" and rows["bob"]["corr2d_passed"] == "1/27", rows


def test_failing_students_exit_0_and_with_strict_1(tmp_path):
    folder = _small_class(tmp_path)
    status, out, err, records = _grade(folder, summary=tmp_path / "plain")
    assert status == 0 and records["student08-flipped-kernel"]["status"] == "FAIL", (out, err)
    status, out, err, records = _grade(folder, "--strict", summary=tmp_path / "strict")
    assert status == 1 and (tmp_path / "strict" / "grades.csv").exists(), (out, err)


def test_partial_credit_is_the_share_of_applicable_cases(tmp_path):
    status, out, err, records = _grade(_small_class(tmp_path), "--partial", summary=tmp_path / "s")
    row = _rows(tmp_path / "s")["student08-flipped-kernel"]
    assert status == 0 and row["corr2d_passed"] == "11/27" and row["score"] == "0.81", row  # 2 * 11 / 27
    assert "times the share" in (tmp_path / "s" / "feedback" / "student08-flipped-kernel.md").read_text()


def test_an_environment_without_the_framework_grades_no_one_and_exits_1(tmp_path):
    """The NumPy environment has no JAX: no student is to blame, none gets a score."""
    status, out, err, records = check("--students", _small_class(tmp_path), "--backend", "jax", *POINTS,
                                      summary=tmp_path / "s")
    assert status == 1 and all(rec["ungraded"] for rec in records.values()), (out, err)
    assert all(row["score"] == "" for row in _rows(tmp_path / "s").values())
    assert "not the student's doing" in (tmp_path / "s" / "feedback" / "student01-complete.md").read_text()


def test_without_a_sandbox_grading_exits_1_in_one_line(tmp_path):
    """As test_sandbox.py does: a PATH without bubblewrap."""
    done = subprocess.run([sys.executable, "-m", "convsuite.conformance", "check", "--students",
                           str(_small_class(tmp_path)), "--backend", "numpy", *POINTS],
                          cwd=ROOT, capture_output=True, text=True, env={**os.environ, "PATH": str(tmp_path)})
    assert done.returncode == 1 and "bubblewrap is not installed" in done.stderr, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("points, item", [("corr2d=2,foo=1", "'foo=1'"), ("corr2d=x", "'corr2d=x'"),
                                          ("corr2d", "'corr2d'"), ("learn=-1", "'learn=-1'"),
                                          ("Conv2D=1,layer=2", "'layer=2'"), ("corr2d=2,", "''")])
def test_a_bad_points_item_is_a_usage_error_naming_it(tmp_path, points, item):
    status, out, err, _ = check("--students", STUDENTS, "--backend", "numpy", "--points", points)
    lines = err.strip().splitlines()
    assert status == 2 and len(lines) == 1 and "--points" in lines[0] and item in lines[0], err


def test_points_without_students_is_a_usage_error():
    status, out, err, _ = check(COURSE / "planted" / "transposed.py", "--backend", "numpy", *POINTS)
    assert status == 2 and "--students" in err, err


def test_an_array_too_large_to_show_is_given_by_its_shape():
    import numpy as np

    from convsuite.conformance.check.judging import grades

    assert grades._array(np.arange(4.0).reshape(2, 2)) == "(2x2) [[0, 1], [2, 3]]"
    assert grades._array(np.zeros((9, 9))) == "(9x9) too large to show"
