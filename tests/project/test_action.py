"""The GitHub Action (action.yml): a composite whose steps are conformance/check/github.py, run
here on what a real check of a few NumPy targets wrote: the job summary's table, the
annotations (file, line, escaped message) and the outputs; and a hostile target (a file name
with a line break and `::error ...` in it) that cannot forge a second annotation, in the
report or in check's own output.

check runs in the numpy environment (convsuite.conformance.environments: built on first
use, kept in the user's cache); this process is the project environment's, without NumPy.
"""

import json
import os
import pathlib
import re
import shutil
import subprocess
import sys

import pytest
import yaml

from convsuite.conformance.check import github
from convsuite.conformance.environments import run, specs
from test_workflow import _actionlint

ROOT = pathlib.Path(__file__).resolve().parents[2]
ACTION = ROOT / "action.yml"
CHAPTER = ROOT / "course" / "chapter" / "conv-layer.md"
MODULE = "convsuite.conformance.check.github"
HOSTILE = "x\n::error file=evil.py,line=9::forged 100%, really.py"

GOOD = '''import numpy as np

def corr2d(X, K):
    h, w = K.shape
    Y = np.zeros((X.shape[0] - h + 1, X.shape[1] - w + 1))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = (X[i:i + h, j:j + w] * K).sum()
    return Y
'''
BAD = "import numpy as np\n\n\ndef corr2d(X, K):  # line 4\n    return X[:1, :1] * 0\n"
RAISES = "import numpy as np\n\nx = 1\nraise ValueError('boom\\nline two')  # line 4\n"


def _notebook(path):
    cells = [{"cell_type": "markdown", "metadata": {}, "source": ["# corr2d\n"]},
             {"cell_type": "code", "execution_count": 1, "metadata": {}, "outputs": [],
              "source": ["import numpy as np\n", "x = 1"]},
             {"cell_type": "code", "execution_count": 2, "metadata": {}, "outputs": [],
              "source": ["y = 2\n", "z = 3\n", "raise RuntimeError('cell three')"]}]
    path.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}, indent=1))


@pytest.fixture(scope="module")
def action():
    return yaml.safe_load(ACTION.read_text())


@pytest.fixture(scope="module")
def workspace(tmp_path_factory):
    """A course repository's checkout: a passing and a failing corr2d, a script that raises, a
    notebook whose third cell raises, the course's chapter (its NumPy tab is wrong on purpose),
    and a file whose name forges a workflow command."""
    folder = tmp_path_factory.mktemp("workspace")
    (folder / "good.py").write_text(GOOD)
    (folder / "bad.py").write_text(BAD)
    (folder / "raises.py").write_text(RAISES)
    _notebook(folder / "nb.ipynb")
    shutil.copy(CHAPTER, folder / "chapter.md")
    (folder / "class").mkdir()
    (folder / "class" / HOSTILE).write_text(BAD)
    return folder


TARGETS = ["good.py", "bad.py", "raises.py", "nb.ipynb", "chapter.md", "class"]


@pytest.fixture(scope="module")
def summary(workspace):
    """The summary.json of a real check of the workspace's targets."""
    done = run.conformance(specs.spec("numpy"), ["check", *TARGETS, "--backend", "numpy", "--summary", "out"],
                           capture_output=True, text=True, cwd=workspace, timeout=300)
    assert done.returncode == 1, done.stdout + done.stderr
    return workspace / "out" / "summary.json"


def _step(arguments, workspace, extra_env=None, timeout=120):
    """One of the action's steps, `python -m ...github ARGUMENTS`, as the runner runs it: in
    the workspace, with the files behind $GITHUB_STEP_SUMMARY and $GITHUB_OUTPUT."""
    files = {name: workspace / f"{name.lower()}-{os.getpid()}" for name in ("GITHUB_STEP_SUMMARY", "GITHUB_OUTPUT")}
    for path in files.values():
        path.write_text("")
    env = {**os.environ, **{k: str(v) for k, v in files.items()}, "GITHUB_WORKSPACE": str(workspace),
           "RUNNER_TEMP": str(workspace), "PYTHONPATH": str(ROOT), **(extra_env or {})}
    done = subprocess.run([sys.executable, "-m", MODULE, *arguments], cwd=workspace, env=env,
                          capture_output=True, text=True, timeout=timeout)
    written = {name: path.read_text() for name, path in files.items()}
    for path in files.values():
        path.unlink()
    return done, written["GITHUB_STEP_SUMMARY"], written["GITHUB_OUTPUT"]


def _file_line(text, marker, contains):
    """The 1-based line of the first line holding `contains` after the line holding `marker`."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if marker in line)
    return next(i for i in range(start, len(lines)) if contains in lines[i]) + 1


# The action's file ---------------------------------------------------------------------------

def test_a_composite_whose_inputs_are_all_used_and_declared(action):
    assert action["runs"]["using"] == "composite"
    assert set(action["inputs"]) == {"targets", "backend", "install", "shard", "require", "fail-on-verdict"}
    assert {name for name, spec in action["inputs"].items() if spec.get("required")} == {"targets", "backend"}
    steps_text = yaml.safe_dump(action["runs"]["steps"])
    used = set(re.findall(r"inputs\.([\w-]+)", steps_text))
    assert used == set(action["inputs"]), (used, set(action["inputs"]))
    for spec in action["inputs"].values():
        assert spec.get("description")


def test_no_expression_inside_a_script_every_step_in_bash(action):
    """Inputs reach the scripts as variables (env:), never pasted into their text: a target
    list with `"; rm -rf ~` in it is a file name, not a command."""
    for step in action["runs"]["steps"]:
        if "run" in step:
            assert "${{" not in step["run"], step
            assert step["shell"] == "bash", step


def test_it_installs_itself_caches_and_runs_the_module(action):
    steps = action["runs"]["steps"]
    scripts = [step["run"] for step in steps if "run" in step]
    install = next(s for s in scripts if "pip install" in s)
    assert '"$GITHUB_ACTION_PATH"' in install  # the action's own folder: github.action_path
    for script in scripts:
        if script is not install:
            assert f"-m {MODULE} " in script, script
    commands = [re.search(rf"-m {re.escape(MODULE)} (\S+)", s)[1] for s in scripts if MODULE in s]
    assert commands == ["cache-key", "sandbox", "check", '"$SUMMARY"']
    key = next(step for step in steps if step.get("id") == "key")
    assert '"$GITHUB_ACTION_PATH"' in key["run"]  # hashFiles() would see only the workspace
    cache = next(step for step in steps if str(step.get("uses", "")).startswith("actions/cache@"))
    assert set(cache["with"]["path"].split()) == {"~/.cache/convsuite", "~/.cache/uv"}
    assert "steps.key.outputs.hash" in cache["with"]["key"] and "inputs.backend" in cache["with"]["key"]
    assert steps.index(cache) < next(i for i, step in enumerate(steps) if step.get("id") == "check")
    for step in steps:
        if "uses" in step:
            assert re.fullmatch(r"[\w.-]+/[\w./-]+@(v\d+(\.\d+)*|[0-9a-f]{40})", step["uses"]), step["uses"]


def test_the_outputs_are_the_report_steps(action):
    assert set(action["outputs"]) == {"summary", "verdict"}
    assert "steps.report.outputs.summary" in action["outputs"]["summary"]["value"]
    assert "steps.report.outputs.verdict" in action["outputs"]["verdict"]["value"]
    assert "path" in action["outputs"]["summary"]["description"].lower()
    report = next(step for step in action["runs"]["steps"] if step.get("id") == "report")
    assert "!cancelled()" in report["if"]  # after a failing check too


def test_actionlint_passes_the_steps_as_a_job(action, tmp_path):
    """actionlint reads no action.yml; its steps, as a reusable workflow's job with the
    action's inputs, are checked as any job's (expressions, step outputs, the inputs of
    setup-python and cache). A typo in a step id is caught: the check is real."""
    project = tmp_path / "project"
    (project / ".git").mkdir(parents=True)
    (project / ".github" / "workflows").mkdir(parents=True)

    def lint(steps):
        job = {"runs-on": "ubuntu-latest", "steps": steps,
               "outputs": {name: spec["value"] for name, spec in action["outputs"].items()}}
        inputs = {name: {"type": "string", "required": bool(spec.get("required")), "default": spec.get("default", "")}
                  for name, spec in action["inputs"].items()}
        for spec in inputs.values():
            if spec["required"]:
                del spec["default"]
        workflow = {"name": "action", "on": {"workflow_call": {"inputs": inputs}}, "jobs": {"action": job}}
        path = project / ".github" / "workflows" / "action.yml"
        path.write_text(yaml.safe_dump(workflow, sort_keys=False))
        return subprocess.run([_actionlint(), "-no-color", str(path)], cwd=project, capture_output=True, text=True)

    done = lint(action["runs"]["steps"])
    assert done.returncode == 0, done.stdout + done.stderr
    broken = yaml.safe_load(yaml.safe_dump(action["runs"]["steps"]).replace("steps.key.outputs", "steps.kee.outputs"))
    done = lint(broken)
    assert done.returncode == 1 and "kee" in done.stdout, done.stdout


# The report step on a real check's summary --------------------------------------------------

def test_the_report_step_on_a_real_summary(summary, workspace):
    done, markdown, outputs = _step([str(summary)], workspace)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines and all(line.startswith("::error file=") for line in lines), done.stdout
    by_file = {}
    for line in lines:
        properties, message = re.fullmatch(r"::error (\S[^:]*)::(.*)", line).groups()
        fields = dict(part.split("=", 1) for part in properties.split(","))
        assert set(fields) == {"file", "line", "title"}, line
        by_file.setdefault(fields["file"], []).append((int(fields["line"]), fields["title"], message))

    hostile = "class/" + github.escape_property(HOSTILE)
    assert set(by_file) == {"bad.py", "raises.py", "nb.ipynb", "chapter.md", hostile}  # good.py passes
    assert by_file["bad.py"] == [(4, "convsuite check (numpy)%3A corr2d",
                                  "corr2d: 0 of 27 applicable cases pass; first failure: corr2d-lesson-3x3 "
                                  "(X 3x3, K 2x2): Y shape (1, 1), expected (2, 2)")]
    [(line, _, message)] = by_file["raises.py"]
    assert line == 4 and message.startswith("line 4 of raises.py raised ValueError: boom")
    [(line, _, message)] = by_file["nb.ipynb"]  # cell 3, line 3: that line of the notebook's JSON
    assert line == _file_line((workspace / "nb.ipynb").read_text(), "y = 2", "raise RuntimeError")
    assert message.startswith("cell 3 (In [2]), line 3 raised RuntimeError: cell three")
    chapter = (workspace / "chapter.md").read_text()
    found = {title.rpartition(" ")[2]: line for line, title, _ in by_file["chapter.md"]}
    # The NumPy tab's definitions (the chapter defines corr2d and Conv2D in every tab)
    numpy_tab = [i + 1 for i, line in enumerate(chapter.splitlines()[1:], 1)
                 if chapter.splitlines()[i - 1] == "#@tab numpy" and line.startswith(("def ", "class "))]
    assert found == {"corr2d": numpy_tab[0], "Conv2D": numpy_tab[1]}
    assert chapter.count("def corr2d(") > 1 and chapter.count("class Conv2D") > 1
    assert [line for line, _, _ in by_file[hostile]] == [4]

    table = [line for line in markdown.splitlines() if line.startswith("|")]
    assert len(table) == 2 + len(json.loads(summary.read_text())["targets"])
    assert all(len(re.findall(r"(?<!\\)\|", row)) == 6 for row in table), table
    assert "| good.py | numpy | PASS | corr2d 27/27 |  |" in table
    assert ("| bad.py | numpy | FAIL | corr2d 0/27 | corr2d, corr2d-lesson-3x3: Y shape (1, 1), expected (2, 2) |"
            in table)
    assert any(row.startswith("| class/x ::error file=evil.py,line=9::forged 100%, really.py | numpy | FAIL |")
               for row in table), table
    assert markdown.startswith("## convsuite check (numpy)\n\n5 FAIL, 1 PASS\n")
    assert outputs == f"summary={summary.resolve()}\nverdict=FAIL\n"


def test_a_hostile_summary_forges_no_annotation(tmp_path):
    """Every string of a summary is the learner's: a name, a message, a hint with line breaks,
    `::`, `%`, `,` and `|` in them stay inside their own annotation and their own cell."""
    forged = "corr2d\n::error file=evil.py,line=1::forged"
    rec = {"target": "sub/a,b:c%d.py", "backend": "numpy", "status": "FAIL", "error": None, "tab": None,
           "problems": ["line 2 of a.py raised X: one\r\n::warning::two\u2028::notice::three"],
           "subjects": [{"name": forged, "role": "corr2d", "passed": 0, "applicable": 1,
                         "first_failure": {"case": "c|1", "inputs": "X\n| b |", "detail": "50%\n::stop-commands::t",
                                           "hint": "|a|\n|---|"}}]}
    lines, dropped = github.annotations([rec], workspace=tmp_path)
    text = "\n".join(lines)
    assert dropped == 0 and len(lines) == 2 and text.splitlines() == lines
    assert all(line.startswith("::error file=sub/a%2Cb%3Ac%25d.py,line=") for line in lines), lines
    assert lines[0] == ("::error file=sub/a%2Cb%3Ac%25d.py,line=1,title=convsuite check (numpy)%3A corr2d%0A%3A%3A"
                        "error file=evil.py%2Cline=1%3A%3Aforged::corr2d%0A::error file=evil.py,line=1::forged: 0 of 1 "
                        "applicable cases pass; first failure: c|1 (X%0A| b |): 50%25%0A::stop-commands::t; "
                        "hint: |a|%0A|---|")
    assert lines[1] == ("::error file=sub/a%2Cb%3Ac%25d.py,line=2,title=convsuite check (numpy)::line 2 of a.py "
                        "raised X: one%0D%0A::warning::two ::notice::three")
    markdown = github.job_summary([rec])
    rows = [line for line in markdown.splitlines() if line.startswith("|")]
    assert len(rows) == 3 and all(len(re.findall(r"(?<!\\)\|", row)) == 6 for row in rows), rows
    assert rows[2] == ("| sub/a,b:c%d.py | numpy | FAIL | corr2d ::error file=evil.py,line=1::forged 0/1 | corr2d "
                       "::error file=evil.py,line=1::forged, c\\|1: 50% ::stop-commands::t (hint: \\|a\\| \\|---\\|) |")
    assert github.markdown_cell("<img src=x> **b** [l](u) `c` &amp;") == (
        "\\<img src=x\\> \\*\\*b\\*\\* \\[l\\](u) \\`c\\` \\&amp;")


def test_an_output_with_a_line_break_takes_the_delimited_form():
    assert github.output_lines("summary", "/tmp/a b") == "summary=/tmp/a b\n"
    name, value = "summary", "/tmp/x\nverdict=PASS"
    head, *body, tail, empty = github.output_lines(name, value).split("\n")
    delimiter = head.removeprefix("summary<<")
    assert head.startswith("summary<<ghadelimiter_") and tail == delimiter and "\n".join(body) == value
    assert empty == "" and delimiter not in value


def test_at_most_ten_annotations_and_the_rest_counted():
    records = [{"target": f"t{i}.py", "backend": "numpy", "status": "ERROR", "error": "unreadable"} for i in range(13)]
    lines, dropped = github.annotations(records)
    assert len(lines) == github.MAX_ANNOTATIONS and dropped == 3
    assert "3 more failure(s) not annotated" in github.job_summary(records, dropped=dropped)


def test_an_unreadable_summary_is_exit_2_and_a_missing_one_is_allowed_when_asked(tmp_path):
    (tmp_path / "broken.json").write_text("{")
    done, markdown, outputs = _step([str(tmp_path / "broken.json")], tmp_path)
    assert done.returncode == 2 and done.stdout.startswith("::error title=convsuite check::")
    done, markdown, outputs = _step([str(tmp_path / "none.json"), "--missing-ok"], tmp_path)
    assert done.returncode == 0 and markdown == outputs == ""


# The check step --------------------------------------------------------------------------------

def _inputs(**inputs):
    return {f"INPUT_{name.upper()}": value for name, value in inputs.items()}


def test_the_check_step_fences_off_checks_output(workspace):
    """check prints the hostile file's name, line break and `::error` included: between a
    `::stop-commands::` and its token, where the runner reads no workflow command."""
    done, _, outputs = _step(["check"], workspace,
                             _inputs(targets="good.py 'class'", backend="numpy", require="corr2d"))
    assert done.returncode == 1, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    stop = re.fullmatch(r"::stop-commands::([0-9a-f]{32})", lines[0])
    assert stop, lines[:2]
    resume = lines.index(f"::{stop[1]}::")
    forged = [i for i, line in enumerate(lines) if line.startswith("::error file=evil.py")]
    assert forged and all(0 < i < resume for i in forged), (forged, resume)
    assert lines[forged[0]] == "::error file=evil.py,line=9::forged 100%, really.py [numpy]: FAIL (corr2d 0/27)"
    assert lines[1].startswith("convsuite check good.py class --backend numpy --require corr2d --summary ")
    [summary_line] = outputs.splitlines()
    path = pathlib.Path(summary_line.removeprefix("summary="))
    assert path.name == "summary.json" and path.parent.parent == workspace and path.is_file()
    statuses = {rec["target"]: rec["status"] for rec in json.loads(path.read_text())["targets"]}
    assert statuses == {"good.py": "PASS", f"class/{HOSTILE}": "FAIL"}


def test_fail_on_verdict_false_passes_a_failing_check_but_not_a_usage_error(workspace):
    done, _, outputs = _step(["check"], workspace, _inputs(targets="bad.py", backend="numpy", shard="1/1",
                                                          fail_on_verdict="false"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "check exited 1; fail-on-verdict is false" in done.stdout
    assert outputs.strip().endswith("summary-1-of-1.json")
    done, _, _ = _step(["check"], workspace, _inputs(targets="bad.py", backend="nosuch", fail_on_verdict="false"))
    assert done.returncode == 2, done.stdout + done.stderr


def test_the_cache_key_follows_the_requirements(tmp_path):
    shutil.copytree(ROOT / "requirements", tmp_path / "requirements")
    for pins in ROOT.glob("backends/*/requirements*.txt"):  # each backend's, in its folder
        (tmp_path / pins.relative_to(ROOT)).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(pins, tmp_path / pins.relative_to(ROOT))
    key = github.cache_key(tmp_path)
    assert key == github.cache_key(ROOT) and re.fullmatch(r"[0-9a-f]{20}", key)
    (tmp_path / "backends" / "numpy" / "requirements.txt").write_text("numpy==1.0\n")
    assert github.cache_key(tmp_path) != key
    changed = github.cache_key(tmp_path)
    (tmp_path / "requirements" / "check.txt").write_text("nbformat==1.0\n")
    assert github.cache_key(tmp_path) != changed
    done, _, outputs = _step(["cache-key", str(ROOT)], tmp_path)
    assert done.returncode == 0 and outputs == f"hash={key}\n"


def test_the_sandbox_step_installs_bubblewrap_and_allows_user_namespaces(monkeypatch, tmp_path):
    ran = []
    (tmp_path / "userns").write_text("1\n")
    monkeypatch.setattr(github, "USERNS", tmp_path / "userns")
    monkeypatch.setattr(github.os, "geteuid", lambda: 1001)
    monkeypatch.setattr(github.shutil, "which", lambda name: None if name == "bwrap" else f"/usr/bin/{name}")
    assert github.prepare_sandbox(run=lambda command, **_: ran.append(command)) == 0
    assert ran == [["sudo", "-n", "apt-get", "update", "-qq"],
                   ["sudo", "-n", "env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "install", "-y", "-qq",
                    "bubblewrap"],
                   ["sudo", "-n", "sysctl", "-q", "-w", "kernel.apparmor_restrict_unprivileged_userns=0"]]
