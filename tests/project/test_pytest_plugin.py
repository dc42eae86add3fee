"""The pytest plugin (conformance/pytest_plugin.py, the wheel's pytest11 entry point):
`pytest --convsuite-backend numpy COURSE` collects a course's .py files, notebooks and d2l
Markdown chapters, one item per function check judged (and one for a target that fails as a
whole), with check's verdict and hint as the failure text; -n 2 (pytest-xdist) gives the same
items and outcomes and runs check once per target; --junitxml writes them.

Each run is a pytest of its own, in this environment (the project's: pytest, pytest-xdist),
from a course folder written here, with the checkout on PYTHONPATH and the plugin named with
-p (the checkout installs no entry point). check itself runs in the numpy environment, built
on first use.
"""

import functools
import json
import os
import pathlib
import re
import subprocess
import sys
import xml.etree.ElementTree as ET

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests" / "check"))
from checking import lesson  # noqa: E402

from convsuite.conformance import pytest_plugin  # noqa: E402


@functools.cache
def plugin_arguments():
    """-p convsuite.conformance.pytest_plugin, unless the runs' Python sees convsuite's entry point
    (an installed convsuite, or a build's convsuite.egg-info in the checkout on PYTHONPATH): named
    twice, pytest would register the module twice, an error."""
    code = ("import importlib.metadata as m; "
            "print(any(e.name == 'convsuite' for e in m.entry_points(group='pytest11')))")
    done = subprocess.run([sys.executable, "-c", code], env={**os.environ, "PYTHONPATH": str(ROOT)},
                          cwd=ROOT.parent, capture_output=True, text=True, check=True)
    listed = done.stdout.strip() == "True"
    return ([] if listed else ["-p", "convsuite.conformance.pytest_plugin"]) + ["-p", "no:cacheprovider"]

FLIPPED = lesson().replace("    h, w = K.shape\n", "    K = K[::-1, ::-1]\n    h, w = K.shape\n")
CHAPTER = "# Cross-correlation\n\nThe lesson, in the book's format.\n\n" + "".join(
    f"```{{.python .input}}\n#@tab numpy\n{cell}```\n\n"
    for cell in ("import numpy as np\n", lesson().replace("import numpy as np\n\n", "")))
NOTEBOOK = json.dumps({"cells": [{"cell_type": "markdown", "metadata": {}, "source": "# corr2d"},
                                 {"cell_type": "code", "execution_count": 1, "metadata": {}, "outputs": [],
                                  "source": lesson()}],
                       "metadata": {}, "nbformat": 4, "nbformat_minor": 4})
# Every check run of a session, logged by the course's conftest.py (pytest's, never a target):
# the plugin runs check through convsuite.conformance.environments.run.conformance.
COUNTING_CONFTEST = '''import os
from convsuite.conformance.environments import run

_conformance = run.conformance


def _logged(env, arguments, **kwargs):
    with open(os.environ["CONVSUITE_TEST_RUNS"], "a") as log:
        log.write(os.path.basename(arguments[1]) + "\\n")
    return _conformance(env, arguments, **kwargs)


run.conformance = _logged
'''
FILES = {
    "course/good.py": lesson(),
    "course/flipped.py": FLIPPED,  # a convolution under the lesson's name
    "course/chapter.md": CHAPTER,
    "course/lesson.ipynb": NOTEBOOK,
    "course/nothing.py": "x = 1\n",  # check finds nothing to check: a FAIL
    "course/broken.ipynb": "{not json\n",  # check cannot read it: its exit status 2
    "course/README.md": "# The course\n\nNo code here: not a chapter.\n",
    "course/test_helper.py": "def test_helper():\n    pass\n",  # pytest's own test module
    "course/.ipynb_checkpoints/good-checkpoint.py": FLIPPED,
    "course/conftest.py": COUNTING_CONFTEST,
}
TARGETS = ["good.py", "flipped.py", "chapter.md", "lesson.ipynb", "nothing.py", "broken.ipynb"]
# junit testcase (classname::name) -> outcome
EXPECTED = {
    "course.good::corr2d": "passed",
    "course.flipped::corr2d": "failed",
    "course.chapter.md::corr2d": "passed",
    "course.lesson.ipynb::corr2d": "passed",
    "course.nothing::[target]": "failed",
    "course.broken.ipynb::[target]": "failed",
    "course.test_helper::test_helper": "passed",
}


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    folder = tmp_path_factory.mktemp("plugin")
    for name, text in FILES.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
    return folder


def pytest_run(folder, *arguments, timeout=300):
    """(exit status, stdout + stderr, stderr, {testcase: (outcome, text)}, [targets check ran]) of
    one pytest run in `folder`. Its temporary folder is its own: the plugin's must not outlive it."""
    junit, runs, temporary = folder / "junit.xml", folder / "runs.log", folder / "tmp"
    junit.unlink(missing_ok=True)
    runs.unlink(missing_ok=True)
    temporary.mkdir(exist_ok=True)
    environ = {**os.environ, "PYTHONPATH": str(ROOT), "CONVSUITE_TEST_RUNS": str(runs),
               "PYTHONDONTWRITEBYTECODE": "1", "TMPDIR": str(temporary)}
    environ.pop("PYTEST_ADDOPTS", None)
    command = [sys.executable, "-m", "pytest", *plugin_arguments(), f"--junitxml={junit}", "--rootdir=.", "-ra"]
    done = subprocess.run([*command, *arguments], cwd=folder, env=environ, capture_output=True, text=True,
                          timeout=timeout)
    cases = {}
    if junit.exists():
        for case in ET.parse(junit).getroot().iter("testcase"):
            outcome, text = "passed", ""
            for child in case:
                if child.tag in ("failure", "error", "skipped"):
                    outcome = {"failure": "failed", "error": "error", "skipped": "skipped"}[child.tag]
                    text = (child.get("message") or "") + "\n" + (child.text or "")
            cases[f"{case.get('classname')}::{case.get('name')}"] = (outcome, text)
    ran = runs.read_text().split() if runs.exists() else []
    assert not list(temporary.glob("convsuite-pytest-*")), "the plugin left its session folder behind"
    return done.returncode, done.stdout + done.stderr, done.stderr, cases, ran


@pytest.fixture(scope="module")
def plain(course):
    return pytest_run(course, "--convsuite-backend", "numpy", "course")


def test_one_item_per_target_and_function_with_checks_verdict(plain):
    code, output, _, cases, ran = plain
    assert code == 1, output
    assert {name: outcome for name, (outcome, _) in cases.items()} == EXPECTED, output
    assert sorted(ran) == sorted(TARGETS), "check must run once per target, and only on targets"


def test_the_failure_text_is_the_verdict_and_its_hint(plain):
    _, output, _, cases, _ = plain
    flipped = cases["course.flipped::corr2d"][1]
    assert re.search(r"corr2d \[numpy\]: \d+ of \d+ applicable cases pass", flipped), flipped
    assert "first failure: corr2d-" in flipped and "hint: the kernel is flipped" in flipped, flipped
    assert "nothing to check" in cases["course.nothing::[target]"][1]
    assert "not a readable notebook" in cases["course.broken.ipynb::[target]"][1]
    assert "hint: the kernel is flipped" in output  # the terminal's failure section
    assert "FAILED course/flipped.py::corr2d - corr2d [numpy]: " in output
    assert "Traceback" not in output and "pytest_plugin.py" not in output, output


def test_xdist_gives_the_same_items_and_runs_check_once_per_target(course, plain):
    code, output, _, cases, ran = pytest_run(course, "--convsuite-backend", "numpy", "course", "-n", "2")
    assert code == 1, output
    assert {name: outcome for name, (outcome, _) in cases.items()} == EXPECTED, output
    assert cases["course.flipped::corr2d"][1] == plain[3]["course.flipped::corr2d"][1]
    assert sorted(ran) == sorted(TARGETS), "every worker collects; check must still run once per target"


def test_a_required_name_that_is_missing_fails_the_target(course):
    code, output, _, cases, ran = pytest_run(course, "--convsuite-backend", "numpy", "--convsuite-require",
                                             "corr2d,Conv2D", "course/good.py")
    assert code == 1, output
    assert {name: outcome for name, (outcome, _) in cases.items()} == {
        "course.good::corr2d": "passed", "course.good::[target]": "failed"}, output
    assert "no Conv2D in the target (--require)" in cases["course.good::[target]"][1]
    assert ran == ["good.py"], "only the file asked for is checked, not the others beside it"


def test_an_unknown_backend_is_a_one_line_usage_error(course):
    code, output, stderr, _, ran = pytest_run(course, "--convsuite-backend", "numpyy", "course")
    assert code == 4, output
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "unknown backend 'numpyy'" in lines[0] and "numpy" in lines[0], stderr
    assert not ran


def test_without_the_option_the_plugin_does_nothing_and_imports_nothing(course):
    code, output, _, cases, ran = pytest_run(course, "course")
    assert code == 0, output
    assert set(cases) == {"course.test_helper::test_helper"} and not ran
    done = subprocess.run([sys.executable, "-c", "import json, sys, convsuite.conformance.pytest_plugin; "
                           "print(json.dumps([m for m in sys.modules if m.startswith(('numpy', 'convsuite.'))]))"],
                          env={**os.environ, "PYTHONPATH": str(ROOT)}, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    imported = set(json.loads(done.stdout))
    assert imported <= {"convsuite._version", "convsuite.conformance", "convsuite.conformance.pytest_plugin"}, imported


def test_an_input_error_with_no_verdict_is_a_failing_item_with_checks_words():
    """check's exit status 2 before it judged anything (no summary): one failing item, its line."""
    outcome = {"returncode": 2, "record": None,
               "stderr": "some warning\ncheck: x.ipynb: not a readable notebook: NotJSONError\n"}
    assert pytest_plugin.verdicts(outcome, "numpy") == [
        ("[target]", "failed", "check could not judge this target (exit status 2):\n"
                               "check: x.ipynb: not a readable notebook: NotJSONError")]
    (name, state, text), = pytest_plugin.verdicts({"returncode": None, "record": None,
                                                   "stderr": "convsuite: environment numpy: uv failed"}, "numpy")
    assert (name, state) == ("[target]", "failed") and "uv failed" in text
