"""tabs' tests: its chapters (course/chapter/tabs/) run once each through the real command,
every tab in its backend's environment and sandbox (the `tabs` session; the backends'
sessions leave this folder out). Each run's JSON document is kept for the module's tests."""

import pytest

from tabs_run import run_chapter


@pytest.fixture
def chapter():
    """chapter(name) -> (exit status, document, stderr) of `tabs NAME.md --json`, run once."""
    return run_chapter
