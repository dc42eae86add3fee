"""Running tabs from the checkout for the tests (a module of its own: `conftest` is a name
every test folder's conftest.py shares)."""

import functools
import json
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
CHAPTERS = ROOT / "course" / "chapter" / "tabs"


def tabs(*arguments, timeout=900):
    """`python -m conformance tabs ARGUMENTS` from the checkout: (exit status, stdout, stderr)."""
    done = subprocess.run([sys.executable, "-m", "conformance", "tabs", *map(str, arguments)], cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout)
    return done.returncode, done.stdout, done.stderr


@functools.lru_cache(maxsize=None)
def run_chapter(name):
    """(exit status, document, stderr) of `tabs course/chapter/tabs/NAME.md --json`, run once."""
    status, out, err = tabs(CHAPTERS / f"{name}.md", "--json")
    assert out.strip(), err
    return status, json.loads(out), err
