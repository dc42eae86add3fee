"""The distribution as a course maintainer installs it: a wheel built from this checkout,
installed into a throwaway virtual environment outside the checkout, then its `convsuite`
command and its pytest plugin run from a course folder, with nothing else installed by hand.
A package, a data file or an entry point missing from pyproject.toml fails here."""

import os
import pathlib
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]
CLAIMED_ELSEWHERE = {"spec", "backends", "conformance"}  # unrelated PyPI projects' import names
LESSON = '''import numpy as np

def corr2d(X, K):
    h, w = K.shape
    Y = np.zeros((X.shape[0] - h + 1, X.shape[1] - w + 1))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = (X[i:i + h, j:j + w] * K).sum()
    return Y
'''


def _run(command, **kwargs):
    return subprocess.run([str(c) for c in command], capture_output=True, text=True, **kwargs)


def _outside(environment):
    """The caller's variables less anything that would point a process at the checkout."""
    return {k: v for k, v in environment.items() if k not in ("PYTHONPATH", "PYTHONHOME")}


def _outputs(folder, names):
    """What runs and builds leave in a checkout (.gitignore's), not its source."""
    top = {".nox", "build", "results", "report", "bench", "fuzz", "check"} if pathlib.Path(folder) == ROOT else set()
    return [n for n in names if n in top or n == "__pycache__" or n.endswith(".egg-info")]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    """Built from a copy (with its git history, for the version): a build writes
    convsuite.egg-info beside pyproject.toml, and pytest runs in the checkout would load
    the entry points it names."""
    source, out = tmp_path_factory.mktemp("source") / "convsuite", tmp_path_factory.mktemp("wheel")
    shutil.copytree(ROOT, source, ignore=_outputs)
    done = _run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", out, source])
    assert done.returncode == 0, done.stderr[-2000:]
    (built,) = out.glob("convsuite-*.whl")
    return built


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory):
    """(the throwaway environment's bin folder, a course folder outside the checkout)."""
    venv = tmp_path_factory.mktemp("venv")
    assert _run([sys.executable, "-m", "venv", venv]).returncode == 0
    done = _run([venv / "bin" / "python", "-m", "pip", "install", "--quiet", wheel, "pytest==9.2.0",
                 "pytest-xdist==3.8.0"], env=_outside(os.environ))
    assert done.returncode == 0, done.stderr[-2000:]
    course = tmp_path_factory.mktemp("course")
    (course / "corr2d.py").write_text(LESSON)
    (course / "flipped.py").write_text(LESSON.replace("* K).sum()", "* K[::-1, ::-1]).sum()"))
    (course / "conv-layer.md").write_text((ROOT / "course" / "chapter" / "conv-layer.md").read_text())
    return venv / "bin", course


def test_the_wheel_claims_no_top_level_name_but_convsuite(wheel):
    names = zipfile.ZipFile(wheel).namelist()
    top = {name.split("/")[0] for name in names if not name.split("/")[0].endswith(".dist-info")}
    assert top == {"convsuite"}, top
    # every file of every backend's folder: the installed tool reads its facts, requirements and scripts
    backend_files = [f"convsuite/{path.relative_to(ROOT).as_posix()}" for path in (ROOT / "backends").glob("*/*")
                     if path.is_file() and path.suffix not in (".py", ".pyc")]
    assert any(path.endswith("/backend.toml") for path in backend_files)
    for data in ["convsuite/spec/cases/corr2d.json", *backend_files, "convsuite/requirements/check.txt",
                 "convsuite/conformance/check/child/book.ini"]:
        assert data in names, f"{data} is not in the wheel (pyproject's package-data)"


def test_every_package_of_the_checkout_is_listed():
    setuptools = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]
    folders = {f"convsuite.{('/'.join(p.parent.relative_to(ROOT).parts)).replace('/', '.')}".rstrip(".")
               for top in CLAIMED_ELSEWHERE for p in (ROOT / top).rglob("*.py")
               if "__pycache__" not in p.parts and "tests" not in p.parts}  # a backend's tests stay in the checkout
    missing = folders - set(setuptools["packages"])
    assert not missing, f"pyproject.toml's packages lack {sorted(missing)}: their modules would not be installed"


def test_nothing_lands_in_site_packages_under_another_projects_name(installed):
    bin_folder, _ = installed
    site = _run([bin_folder / "python", "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"]).stdout.strip()
    assert not CLAIMED_ELSEWHERE & {p.name for p in pathlib.Path(site).iterdir()}
    assert (pathlib.Path(site) / "convsuite" / "spec" / "reference.py").is_file()


def test_the_command_tells_its_version(installed):
    bin_folder, course = installed
    done = _run([bin_folder / "convsuite", "--version"], cwd=course, env=_outside(os.environ))
    assert done.returncode == 0 and re.fullmatch(r"convsuite \d+\.\d+\.\d+\S*\n", done.stdout), done.stdout + done.stderr


def test_check_runs_from_the_course_folder(installed):
    bin_folder, course = installed
    done = _run([bin_folder / "convsuite", "check", "corr2d.py", "flipped.py", "conv-layer.md", "--backend", "numpy",
                 "--summary", "verdicts"], cwd=course, env=_outside(os.environ), timeout=900)
    assert done.returncode == 1, done.stdout + done.stderr  # flipped.py fails
    assert re.search(r"^corr2d\.py \[numpy\]: PASS", done.stdout, re.M), done.stdout
    assert re.search(r"^flipped\.py \[numpy\]: FAIL", done.stdout, re.M), done.stdout
    assert re.search(r"^conv-layer\.md \[numpy\]: (PASS|FAIL)", done.stdout, re.M), done.stdout
    assert (course / "verdicts" / "summary.json").is_file()


@pytest.mark.parametrize("workers", [[], ["-n", "2"]], ids=["one process", "xdist -n 2"])
def test_the_pytest_plugin_is_one_flag_away(installed, workers):
    bin_folder, course = installed
    done = _run([bin_folder / "python", "-m", "pytest", "--convsuite-backend", "numpy", "corr2d.py", "flipped.py",
                 "-q", "-p", "no:cacheprovider", *workers], cwd=course, env=_outside(os.environ), timeout=900)
    assert done.returncode == 1, done.stdout + done.stderr
    assert re.search(r"\b1 failed\b", done.stdout) and re.search(r"\b1 passed\b", done.stdout), done.stdout
