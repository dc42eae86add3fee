"""The course files each backend's session checks: tests/check/course_verdicts.py's entries
for the chosen --backend, and only those (no test is skipped); tests that hold for any
framework run in the NumPy session alone (the others deselect them)."""

from course_verdicts import ENTRIES


def pytest_generate_tests(metafunc):
    if "course_entry" in metafunc.fixturenames:
        entries = ENTRIES.get(metafunc.config.getoption("--backend"), [])
        metafunc.parametrize("course_entry", entries, ids=[entry[0] for entry in entries])


def pytest_collection_modifyitems(config, items):
    backend = config.getoption("--backend")
    keep, drop = [], []
    for item in items:
        marker = item.get_closest_marker("check_backend")
        (drop if marker and backend not in marker.args else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


def pytest_configure(config):
    config.addinivalue_line("markers", "check_backend(*names): run only in these backends' sessions")
