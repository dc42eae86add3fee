"""The pre-commit hook (.pre-commit-hooks.yaml): pre-commit validates the manifest; its entry
is the distribution's console script and check; it takes .py, .ipynb and .md files; and,
installed by pre-commit from a copy of this checkout (as `try-repo` installs it), it passes
a chapter whose corr2d is right and fails one whose corr2d is wrong, in NumPy's environment,
and stops without --backend, saying so.

pre-commit pip-installs the checkout into an environment of its own (PRE_COMMIT_HOME, here
a temporary folder: about 20 s); the hook's check uses the numpy environment in the user's
cache (built on first use).
"""

import os
import pathlib
import shutil
import subprocess
import sys
import tomllib

import pytest
import yaml

from convsuite.conformance.launcher import main as launcher

ROOT = pathlib.Path(__file__).resolve().parents[2]
MANIFEST = ROOT / ".pre-commit-hooks.yaml"
HOOK = "convsuite-check"

CHAPTER = '''# Convolutions

```{.python .input}
#@tab numpy
import numpy as np
```

```{.python .input}
#@tab numpy
def corr2d(X, K):
    h, w = K.shape
    Y = np.zeros((X.shape[0] - h + 1, X.shape[1] - w + 1))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = (X[i:i + h, j:j + w] * K).sum()
    return Y
```
'''
WRONG = CHAPTER.replace("(X[i:i + h, j:j + w] * K).sum()", "(X[i:i + h, j:j + w] * K.T).sum()")


def _pre_commit():
    found = shutil.which("pre-commit", path=str(pathlib.Path(sys.executable).parent)) or shutil.which("pre-commit")
    if not found:
        pytest.fail("no pre-commit: pip install -r requirements/project.txt (or nox -s project)")
    return found


def _git(*arguments, cwd):
    subprocess.run(["git", "-c", "user.name=convsuite", "-c", "user.email=convsuite@example.invalid",
                    "-c", "commit.gpgsign=false", *arguments], cwd=cwd, check=True, capture_output=True)


@pytest.fixture(scope="module")
def hook():
    [hook] = yaml.safe_load(MANIFEST.read_text())
    return hook


def test_pre_commit_validates_the_manifest():
    done = subprocess.run([_pre_commit(), "validate-manifest", str(MANIFEST)], capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr


def test_the_entry_is_the_console_script_and_check(hook):
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    program, command = hook["entry"].split()
    assert program in scripts and scripts[program] == "convsuite.conformance.launcher.main:main"
    assert command == "check" and command in launcher.BACKEND_COMMANDS
    assert hook["id"] == HOOK and hook["language"] == "python" and hook["pass_filenames"] is True


def test_it_takes_scripts_notebooks_and_chapters_and_no_default_backend(hook):
    from identify import identify

    for name in ("lesson.py", "lesson.ipynb", "chapter.md"):
        assert identify.tags_from_filename(name) & set(hook["types_or"]), name
    assert not identify.tags_from_filename("data.csv") & set(hook["types_or"])
    assert "args" not in hook, "the framework is the user's to name: args: [--backend, NAME]"
    assert "--backend" in hook["description"] and hook["require_serial"] is True


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """A course repository with a right and a wrong chapter, and a copy of this checkout as a
    git repository of its own (its uncommitted files too: what `try-repo` makes of it)."""
    base = tmp_path_factory.mktemp("precommit")
    shadow = base / "convsuite"
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                            capture_output=True, text=True, check=True).stdout.split("\0")
    for name in filter(None, listed):
        if (ROOT / name).is_file():
            (shadow / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, shadow / name)
    _git("init", "-q", cwd=shadow)
    _git("add", "-A", cwd=shadow)
    _git("commit", "-q", "-m", "shadow", cwd=shadow)
    repo = base / "course"
    (repo / "chapters").mkdir(parents=True)
    (repo / "chapters" / "right.md").write_text(CHAPTER)
    (repo / "chapters" / "wrong.md").write_text(WRONG)
    _git("init", "-q", cwd=repo)
    _git("add", "-A", cwd=repo)
    rev = subprocess.run(["git", "rev-parse", "HEAD"], cwd=shadow, capture_output=True, text=True).stdout.strip()
    return {"repo": repo, "shadow": shadow, "rev": rev, "home": base / "pre-commit-home"}


def _run(course, *arguments):
    env = {**os.environ, "PRE_COMMIT_HOME": str(course["home"]), "PRE_COMMIT_COLOR": "never"}
    env.pop("PYTHONPATH", None)  # the hook imports the convsuite pre-commit installed, nothing of this checkout
    return subprocess.run([_pre_commit(), *arguments], cwd=course["repo"], env=env, capture_output=True, text=True,
                          timeout=300)


def test_the_hook_checks_chapters_in_the_backend_named(course, tmp_path):
    config = tmp_path / "pre-commit-config.yaml"
    config.write_text(yaml.safe_dump({"repos": [{"repo": str(course["shadow"]), "rev": course["rev"], "hooks": [
        {"id": HOOK, "args": ["--backend", "numpy", "--summary", str(tmp_path / "summary")]}]}]}))
    done = _run(course, "run", "-c", str(config), "--files", "chapters/right.md")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "convsuite check" in done.stdout and "Passed" in done.stdout
    done = _run(course, "run", "-c", str(config), "--files", "chapters/right.md", "chapters/wrong.md")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "chapters/wrong.md [numpy]: FAIL (corr2d" in done.stdout
    assert "chapters/right.md [numpy]: PASS (corr2d" in done.stdout


def test_try_repo_installs_the_hook_which_asks_for_a_backend(course):
    done = _run(course, "try-repo", str(course["shadow"]), HOOK, "--files", "chapters/right.md")
    assert done.returncode == 1, done.stdout + done.stderr
    assert "exit code: 2" in done.stdout and "check needs TARGET... (or --students DIR) and --backend NAME" in done.stdout
