"""One session per framework, each in its own pinned environment, and the matrix.

    nox                 every backend's tests and results, the comparison, a short fuzz
    nox -s matrix       the main job: all four backends' results, compared
    nox -s torch -- -k learn   one backend; arguments after -- go to pytest
    nox -s fuzz -- --examples 2000 --seed 1   generated cases through all four backends
    nox -s bench        timings and ratios against the machine's floor (not a default session)

No environment can hold every framework (MXNet 1.9.1 needs NumPy < 1.24, TensorFlow 2.21 a
newer one), so each session writes results/<backend>.json and `matrix` compares the files.
The backends: NumPy, PyTorch, TensorFlow 2 / Keras 3, MXNet Gluon and JAX / Flax.
"""

import pathlib

import nox

nox.options.default_venv_backend = "venv"
nox.options.error_on_missing_interpreters = True
nox.options.sessions = ["numpy", "torch", "tensorflow", "mxnet", "jax", "matrix", "fuzz", "porting",
                        "project"]

PYTHON = "3.11"
BACKENDS = ["numpy", "torch", "tensorflow", "mxnet", "jax"]
# CI's short fuzz: a few hundred cases and a fixed seed; JAX and the compiled paths on one in 4.
FUZZ_DEFAULTS = ["--examples", "300", "--seed", "0", "--tolerance-cases", "1000", "--compiling-every", "4"]


def _backend_session(session, backend, requirements=None, results=None):
    """Install the backend's pins, write its results, then run its tests."""
    session.install("-r", requirements or f"requirements/{backend}.txt")
    env = {"TF_CPP_MIN_LOG_LEVEL": "2"}  # keep TensorFlow's start-up banner out of the log
    session.run("python", "-m", "conformance", "run", "--backend", backend,
                "--out", results or f"results/{backend}.json", env=env)
    # tests/report and tests/project need tools of their own; their sessions run them.
    session.run("python", "-m", "pytest", f"--backend={backend}", "--ignore=tests/report",
                "--ignore=tests/project", *session.posargs, env=env)


@nox.session(python=PYTHON)
def numpy(session):
    _backend_session(session, "numpy")


@nox.session(python=PYTHON)
def torch(session):
    _backend_session(session, "torch")


@nox.session(python=PYTHON)
def tensorflow(session):
    _backend_session(session, "tensorflow")


@nox.session(python=PYTHON)
def mxnet(session):
    _backend_session(session, "mxnet")


@nox.session(python=PYTHON)
def jax(session):
    _backend_session(session, "jax")


@nox.session(name="mxnet-3.12", python="3.12")
def mxnet_py312(session):
    """MXNet 1.9.1 on Python 3.12 (NumPy 1.26 with np.bool restored, setuptools' distutils).

    Not a default session: here pyenv resolves python3.12 only when it is selected, as in
    PYENV_VERSION=3.11.7:3.12.1 nox -s mxnet-3.12 (GitHub's setup-python puts it on PATH)."""
    _backend_session(session, "mxnet", requirements="requirements/mxnet-py312.txt",
                     results="results/py3.12/mxnet.json")


def _chromium(session):
    """The report's tests open it in Debian's headless Chromium; install it when missing."""
    if not pathlib.Path("/usr/bin/chromium").exists():
        session.run("apt-get", "update", external=True)
        session.run("apt-get", "install", "-y", "chromium", external=True,
                    env={"DEBIAN_FRONTEND": "noninteractive"})


@nox.session(python=PYTHON, requires=BACKENDS)
def matrix(session):
    """The main job: compare every backend's results, write report/ and check it in Chromium.

    compare judges every backend against the reference and each other; report/ holds
    index.html, index.md and the learning plots."""
    session.install("-r", "requirements/report.txt")  # numpy.txt's pins plus matplotlib
    results = [f"results/{backend}.json" for backend in BACKENDS]
    # The page matters most when backends disagree: write it first, let compare decide.
    session.run("python", "-m", "conformance", "report", *results, "--out", "report",
                success_codes=[0, 1])
    session.run("python", "-m", "conformance", "compare", *results)
    _chromium(session)
    session.run("python", "-m", "pytest", "tests/report", "--report-dir", "report",
                *[f"--report-results={path}" for path in results])


def _worker_environment(session, backend):
    """A virtualenv with the backend's pins for a fuzz or bench worker, rebuilt only when the
    pins change (the backend's own session would run its whole test suite first)."""
    location = pathlib.Path(".nox", "workers", backend)
    pins = pathlib.Path("requirements", f"{backend}.txt").read_text()
    stamp = location / "pins.txt"
    python = location / "bin" / "python"
    if not stamp.exists() or stamp.read_text() != pins:
        session.run("python", "-m", "venv", "--clear", str(location))
        session.run(str(python), "-m", "pip", "install", "--quiet", "-r",
                    f"requirements/{backend}.txt", external=True)
        stamp.write_text(pins)
    return python


def _workers(session):
    """--python=NAME=PYTHON for every backend: NumPy in this session, the others in their own."""
    return [f"--python=numpy={session.bin}/python"] + [
        f"--python={b}={_worker_environment(session, b)}" for b in BACKENDS[1:]]


@nox.session(python=PYTHON)
def fuzz(session):
    """Generated cases through every backend, compared; the smallest failure is kept."""
    session.install("-r", "requirements/numpy.txt")
    session.run("python", "-m", "conformance", "fuzz", *_workers(session), "--out", "fuzz/failure.json",
                *(session.posargs or FUZZ_DEFAULTS))


@nox.session(python=PYTHON)
def bench(session):
    """Time every corr2d form and the learning loop in every framework, one process after
    another, against the machine's floor; print the table, write bench/results.json.

    Not a default session: timings belong on a quiet machine, not in the test run.
    Arguments after -- go to `python -m conformance bench` (e.g. --sizes 256x256/3x3).
    bench/index.html shows the results as a chart and the targets as a table."""
    session.install("-r", "requirements/report.txt")  # numpy.txt's pins plus matplotlib
    session.run("python", "-m", "conformance", "bench", *_workers(session), "--out", "bench/results.json",
                *session.posargs)
    session.run("python", "-m", "conformance", "report", "--bench", "bench/results.json", "--out", "bench")


@nox.session(python=PYTHON)
def porting(session):
    """Regenerate docs/porting-guide.md from the backends' source (it imports no framework)."""
    session.install("-r", "requirements/numpy.txt")
    session.run("python", "-m", "conformance", "port", "--write", "docs/porting-guide.md")
    session.run("python", "-m", "pytest", "tests/test_porting.py")


@nox.session(python=PYTHON)
def project(session):
    """The repository's own checks: the GitHub Actions workflow (actionlint, its jobs)."""
    session.install("-r", "requirements/project.txt")
    session.run("python", "-m", "pytest", "tests/project", *session.posargs)
