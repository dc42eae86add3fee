"""One session per backend environment, each pinned, generated from the registry; the matrix.

    nox                 every backend's tests and results, the comparison, a short fuzz
    nox -s matrix       the main job: every backend's results, compared, and the report
    nox -s torch -- -k learn   one backend; arguments after -- go to pytest
    nox -s fuzz -- --examples 2000 --seed 1   generated cases through every backend
    nox -s bench        timings and ratios against the machine's floor (not a default session)

No environment can hold every framework (MXNet 1.9.1 needs NumPy < 1.24, TensorFlow 2.21 a
newer one), so each backend session writes its results file and `matrix` compares the files.
The backends, their requirements, Pythons and variant environments come from
`backends/registry.py` and each backend module's DECLARATION (read without importing any
framework): a new backend needs no change here.
"""

import concurrent.futures
import os
import pathlib
import subprocess
import sys

import nox

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))  # the checkout's packages
import backends  # noqa: E402

nox.options.default_venv_backend = "venv"
nox.options.error_on_missing_interpreters = True

PYTHON = "3.11"
ENVIRONMENTS = backends.environments()  # every backend's main environment, then the variants
MAIN = [env for env in ENVIRONMENTS if env.default]
nox.options.sessions = [env.session for env in MAIN] + ["matrix", "fuzz", "porting", "project"]
# CI's short fuzz: a few hundred cases and a fixed seed; JAX and the compiled paths on one in 4.
FUZZ_DEFAULTS = ["--examples", "300", "--seed", "0", "--tolerance-cases", "1000", "--compiling-every", "4"]


def _backend_session(session, backend, env):
    """Install the environment's pins, write the backend's results, then run its tests."""
    session.install("-r", env.requirements)
    variables = backends.declaration(backend).environment
    session.run("python", "-m", "conformance", "run", "--backend", backend, "--out", env.results,
                env=variables)
    _bubblewrap(session)  # tests/check run submissions
    # tests/report and tests/project need tools of their own; their sessions run them.
    session.run("python", "-m", "pytest", f"--backend={backend}", "--ignore=tests/report",
                "--ignore=tests/project", *session.posargs, env=variables)


def _register(backend, env):
    def session_function(session):
        _backend_session(session, backend, env)

    session_function.__doc__ = (f"{backends.declaration(backend).framework}: {env.requirements}, "
                                f"results in {env.results}" + (f" ({env.why})" if env.why else ""))
    nox.session(name=env.session, python=env.python)(session_function)


for _declaration in backends.declarations():
    for _env in _declaration.environments:
        _register(_declaration.name, _env)


def _debian_package(session, package, program):
    """Install Debian's `package` when `program` is missing (as root, as CI runs)."""
    if not pathlib.Path(program).exists():
        session.run("apt-get", "update", external=True)
        session.run("apt-get", "install", "-y", package, external=True, env={"DEBIAN_FRONTEND": "noninteractive"})


def _chromium(session):
    """The report's tests open it in Debian's headless Chromium."""
    _debian_package(session, "chromium", "/usr/bin/chromium")


def _bubblewrap(session):
    """check runs every submission in a bubblewrap sandbox (Flatpak's), and refuses without one."""
    _debian_package(session, "bubblewrap", "/usr/bin/bwrap")


@nox.session(python=PYTHON)
def matrix(session):
    """The main job: every backend's cases, each in its pinned environment, compared; report/
    written and checked in Chromium. It runs no test suite (the test command does): each
    backend's cases run in a worker environment of its pins, built once and kept.

    compare judges every backend against the reference and each other; report/ holds
    index.html, index.md and the learning plots."""
    session.install("-r", "requirements/report.txt")  # numpy.txt's pins plus matplotlib
    pythons = _worker_pythons(session, "requirements/report.txt")
    _run_side_by_side(session, [[python, "-m", "conformance", "run", "--backend", env.session, "--out", env.results]
                                for env, python in zip(MAIN, pythons)])
    results = [env.results for env in MAIN]
    # The page matters most when backends disagree: write it first, let compare decide.
    session.run("python", "-m", "conformance", "report", *results, "--out", "report",
                success_codes=[0, 1])
    session.run("python", "-m", "conformance", "compare", *results)
    _chromium(session)
    session.run("python", "-m", "pytest", "tests/report", "--report-dir", "report",
                *[f"--report-results={path}" for path in results])


def _run_side_by_side(session, commands):
    """Run the commands as many at a time as there are cores (each a process of its own, most
    of whose time is Python and compiling, not arithmetic), print each one's output when it
    ends, and fail the session naming every command that failed."""
    def run(command):
        return command, subprocess.run(command, capture_output=True, text=True)

    failed = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        for command, done in pool.map(run, commands):
            session.log(" ".join(command[1:]) + f" (exit {done.returncode})")
            print(done.stdout + done.stderr[-4000:], end="")
            if done.returncode:
                failed.append(" ".join(command))
    if failed:
        session.error(f"failed: {'; '.join(failed)}")


def _worker_environment(session, env):
    """A virtualenv with an environment's pins for a fuzz or bench worker, rebuilt only when
    the pins change (the backend's own session would run its whole test suite first)."""
    location = pathlib.Path(".nox", "workers", env.session)
    pins = pathlib.Path(env.requirements).read_text()
    stamp = location / "pins.txt"
    python = location / "bin" / "python"
    if not stamp.exists() or stamp.read_text() != pins:
        session.run("python", "-m", "venv", "--clear", str(location))
        session.run(str(python), "-m", "pip", "install", "--quiet", "-r", env.requirements, external=True)
        stamp.write_text(pins)
    return python


def _worker_pythons(session, installed):
    """The Python of every backend's main environment: this session's own where the session
    installed the same requirements, a worker environment elsewhere."""
    return [f"{session.bin}/python" if env.requirements == installed else str(_worker_environment(session, env))
            for env in MAIN]


def _workers(session, installed):
    """--python=NAME=PYTHON for every backend's main environment (the fuzz and bench workers)."""
    return [f"--python={env.session}={python}" for env, python in zip(MAIN, _worker_pythons(session, installed))]


@nox.session(python=PYTHON)
def fuzz(session):
    """Generated cases through every backend, compared; the smallest failure is kept."""
    session.install("-r", "requirements/numpy.txt")
    session.run("python", "-m", "conformance", "fuzz", *_workers(session, "requirements/numpy.txt"),
                "--out", "fuzz/failure.json", *(session.posargs or FUZZ_DEFAULTS))


@nox.session(python=PYTHON)
def bench(session):
    """Time every corr2d form and the learning loop in every framework, one process after
    another, against the machine's floor; print the table, write bench/results.json.

    Not a default session: timings belong on a quiet machine, not in the test run.
    Arguments after -- go to `python -m conformance bench` (e.g. --sizes 256x256/3x3).
    bench/index.html shows the results as a chart and the targets as a table."""
    session.install("-r", "requirements/report.txt", "-r", "requirements/peers.txt")  # + OpenCV, SciPy
    session.run("python", "-m", "conformance", "bench", *_workers(session, "requirements/report.txt"),
                "--out", "bench/results.json", *session.posargs)
    session.run("python", "-m", "conformance", "report", "--bench", "bench/results.json", "--out", "bench")


@nox.session(python=PYTHON)
def porting(session):
    """Regenerate docs/porting-guide.md from the backends' source (it imports no framework)."""
    session.install("-r", "requirements/numpy.txt")
    session.run("python", "-m", "conformance", "port", "--write", "docs/porting-guide.md")
    session.run("python", "-m", "pytest", "tests/test_porting.py")


@nox.session(python=PYTHON)
def project(session):
    """The repository's own checks: the GitHub Actions workflow (actionlint, its jobs), the
    rule that no framework is named outside backends/."""
    session.install("-r", "requirements/project.txt")
    session.run("python", "-m", "pytest", "tests/project", *session.posargs)


@nox.session(python=PYTHON)
def check(session):
    """python -m conformance check TARGET... --backend NAME in NAME's pinned environment, with
    check's own tools (requirements/check.txt, installed --no-deps: they change none of its
    pins); kept in .nox/check-NAME and rebuilt when either file changes. --install PKG goes
    to a throwaway overlay on it, never into it. Not a default session: it needs targets."""
    args = list(session.posargs)
    names = [a.split("=", 1)[1] for a in args if a.startswith("--backend=")]
    names += [args[i + 1] for i, a in enumerate(args[:-1]) if a == "--backend"]
    if not names and "--merge" not in args:
        session.error(f"nox -s check -- TARGET... --backend NAME, NAME one of {', '.join(backends.names())}")
    declaration = backends.declaration(names[0] if names else "numpy")
    location = pathlib.Path(".nox", f"check-{declaration.name}")
    pins = pathlib.Path(declaration.main.requirements).read_text() + pathlib.Path("requirements/check.txt").read_text()
    stamp, python = location / "pins.txt", location / "bin" / "python"
    if not stamp.exists() or stamp.read_text() != pins:
        session.run("python", "-m", "venv", "--clear", str(location))
        session.run(str(python), "-m", "pip", "install", "--quiet", "-r", declaration.main.requirements, external=True)
        session.run(str(python), "-m", "pip", "install", "--quiet", "--no-deps", "-r", "requirements/check.txt",
                    external=True)
        stamp.write_text(pins)
    _bubblewrap(session)
    session.run(str(python), "-m", "conformance", "check", *args, external=True, env=declaration.environment)
