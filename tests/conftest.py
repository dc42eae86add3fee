"""One `backend` fixture, chosen with --backend (each nox session passes its own).

A backend whose framework cannot be imported is an error here, never a skip: a session that
was meant to test TensorFlow must not pass without TensorFlow.
"""

import pytest

import backends


def pytest_addoption(parser):
    parser.addoption(
        "--backend", default="numpy", choices=sorted(backends.BACKENDS),
        help="the backend whose tests run (its framework must be installed)",
    )


@pytest.fixture(scope="session")
def backend(request):
    return backends.load(request.config.getoption("--backend"))


@pytest.fixture(scope="session")
def builtin_cases():
    from spec import cases

    return cases.load()
