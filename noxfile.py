"""One session per framework, each in its own pinned environment, and the matrix.

    nox                 every backend's tests and results, the comparison, a short fuzz
    nox -s matrix       the main job: all four backends' results, compared
    nox -s torch -- -k learn   one backend; arguments after -- go to pytest
    nox -s fuzz -- --examples 2000 --seed 1   generated cases through all four backends

No environment can hold every framework (MXNet 1.9.1 needs NumPy < 1.24, TensorFlow 2.21 a
newer one), so each session writes results/<backend>.json and `matrix` compares the files.
"""

import pathlib

import nox

nox.options.default_venv_backend = "venv"
nox.options.error_on_missing_interpreters = True
nox.options.sessions = ["numpy", "torch", "tensorflow", "mxnet", "matrix", "fuzz"]

PYTHON = "3.11"
BACKENDS = ["numpy", "torch", "tensorflow", "mxnet"]
# CI's short fuzz: a few hundred cases and a fixed seed.
FUZZ_DEFAULTS = ["--examples", "300", "--seed", "0", "--tolerance-cases", "1000"]


def _backend_session(session, backend):
    """Install the backend's pins, write its results, then run its tests."""
    session.install("-r", f"requirements/{backend}.txt")
    env = {"TF_CPP_MIN_LOG_LEVEL": "2"}  # keep TensorFlow's start-up banner out of the log
    session.run("python", "-m", "conformance", "run", "--backend", backend,
                "--out", f"results/{backend}.json", env=env)
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


@nox.session(python=PYTHON, requires=BACKENDS)
def matrix(session):
    """Compare every backend's results with the reference and with each other."""
    session.install("-r", "requirements/numpy.txt")
    session.run("python", "-m", "conformance", "compare",
                *[f"results/{backend}.json" for backend in BACKENDS])


def _fuzz_environment(session, backend):
    """A virtualenv with the backend's pins for a fuzz worker, rebuilt only when the pins
    change (the backend's own session would run its whole test suite first)."""
    location = pathlib.Path(".nox", "fuzz-workers", backend)
    pins = pathlib.Path("requirements", f"{backend}.txt").read_text()
    stamp = location / "pins.txt"
    python = location / "bin" / "python"
    if not stamp.exists() or stamp.read_text() != pins:
        session.run("python", "-m", "venv", "--clear", str(location))
        session.run(str(python), "-m", "pip", "install", "--quiet", "-r",
                    f"requirements/{backend}.txt", external=True)
        stamp.write_text(pins)
    return python


@nox.session(python=PYTHON)
def fuzz(session):
    """Generated cases through all four backends, compared; the smallest failure is kept."""
    session.install("-r", "requirements/numpy.txt")
    workers = [f"--python=numpy={session.bin}/python"]
    workers += [f"--python={b}={_fuzz_environment(session, b)}" for b in BACKENDS[1:]]
    session.run("python", "-m", "conformance", "fuzz", *workers, "--out", "fuzz/failure.json",
                *(session.posargs or FUZZ_DEFAULTS))
