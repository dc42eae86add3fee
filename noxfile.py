"""One session per framework, each in its own pinned environment, and the matrix.

    nox                 every backend's tests and results, then the comparison
    nox -s matrix       the main job: all four backends' results, compared
    nox -s torch -- -k learn   one backend; arguments after -- go to pytest

No environment can hold every framework (MXNet 1.9.1 needs NumPy < 1.24, TensorFlow 2.21 a
newer one), so each session writes results/<backend>.json and `matrix` compares the files.
"""

import nox

nox.options.default_venv_backend = "venv"
nox.options.error_on_missing_interpreters = True
nox.options.sessions = ["numpy", "torch", "tensorflow", "mxnet", "matrix"]

PYTHON = "3.11"
BACKENDS = ["numpy", "torch", "tensorflow", "mxnet"]


def _backend_session(session, backend):
    """Install the backend's pins, write its results, then run its tests."""
    session.install("-r", f"requirements/{backend}.txt")
    env = {"TF_CPP_MIN_LOG_LEVEL": "2"}  # keep TensorFlow's start-up banner out of the log
    session.run("python", "-m", "conformance", "run", "--backend", backend,
                "--out", f"results/{backend}.json", env=env)
    session.run("python", "-m", "pytest", f"--backend={backend}", *session.posargs, env=env)


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
