"""One `backend` fixture, chosen with --backend (each nox session passes its own), for the
suite's tests (tests/) and each backend's own (backends/NAME/tests/, which pin its
framework's facts and run in its session only: another backend's are reported as skipped).

A backend whose framework cannot be imported is an error here, never a skip: a session that
was meant to test TensorFlow must not pass without TensorFlow.

Markers, as pyhf's tests have them, one pair per registered backend (so a new backend gets
them from the registry): ``skip_<name>(reason)`` skips a test for that backend with the
reason shown, ``fail_<name>(reason)`` expects it to fail there (strict: a pass is reported).
``needs(capability)`` runs a test only for backends that declare the capability
(`backends.contract.CAPABILITIES`), skipped with the reason for the others.
"""

import pathlib

import pytest

from convsuite import backends


def pytest_addoption(parser):
    parser.addoption(
        "--backend", default="numpy", choices=backends.names(),
        help="the backend whose tests run (its framework must be installed)",
    )


def _owner(path):
    """The backend whose folder holds `path` (its own tests), or None."""
    path = pathlib.Path(path).resolve()
    return next((name for name in backends.names()
                 if backends.declaration(name).folder.resolve() in path.parents), None)


def pytest_configure(config):
    for name in backends.names():
        config.addinivalue_line("markers", f"skip_{name}(reason): skip this test for backend {name}")
        config.addinivalue_line("markers", f"fail_{name}(reason): this test is expected to fail for {name}")
    config.addinivalue_line("markers", "needs(capability): only for backends that declare the capability")


def pytest_collection_modifyitems(config, items):
    name = config.getoption("--backend")
    declaration = backends.declaration(name)
    for item in items:
        # Another backend's own tests (backends/OTHER/tests/) need its framework: reported as
        # skipped here, run in its session. They import their framework inside each test.
        owner = _owner(item.path)
        if owner not in (None, name):
            item.add_marker(pytest.mark.skip(reason=f"backend {owner}'s own tests: its session runs them "
                                                    f"(--backend={owner})"))
            continue
        if "backend" not in item.fixturenames:
            continue
        if marker := item.get_closest_marker(f"skip_{name}"):
            item.add_marker(pytest.mark.skip(reason=f"skipped for {name}: {marker.args[0]}"))
        if marker := item.get_closest_marker(f"fail_{name}"):
            item.add_marker(pytest.mark.xfail(reason=f"known failure for {name}: {marker.args[0]}", strict=True))
        for marker in item.iter_markers("needs"):
            if not declaration.offers(marker.args[0]):
                item.add_marker(pytest.mark.skip(reason=f"backend {name} declares no {marker.args[0]!r}"))


@pytest.fixture(scope="session")
def backend(request):
    return backends.load(request.config.getoption("--backend"))


@pytest.fixture(scope="session")
def builtin_cases():
    from convsuite.spec import cases

    return cases.load()


@pytest.fixture(scope="session")
def in_process_cases(backend, builtin_cases):
    """The built-in cases this backend computes in the test's own process: all but its crash
    cases, which tests/test_backend.py runs in a child."""
    from crashing import crash_cases

    crashing = {raw["id"] for raw in crash_cases(backend, builtin_cases)}
    return [raw for raw in builtin_cases if raw["id"] not in crashing]


@pytest.fixture(scope="session")
def lesson_cases(builtin_cases):
    """The built-in cases but the large ones (spec/cases/large.json), which exist to cross the
    backends' thresholds: what tests of the harness itself (planted bugs) need."""
    from convsuite.spec import cases

    return [raw for raw in builtin_cases if not cases.is_large(raw)]
