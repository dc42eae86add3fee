"""Honest notebooks get the right verdict: the d2l notebooks' `%matplotlib inline`, with and
without matplotlib in the environment (NumPy session; the magic is the same for every
framework)."""

import json

import pytest

from checking import COURSE, check, subject

pytestmark = pytest.mark.check_backend("numpy")
LESSON = (COURSE / "hostile" / "cheats" / "honest.py").read_text().split('"""', 2)[2]


def _notebook(path, *sources):
    cells = [{"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "source": source}
             for source in sources]
    path.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    return path


@pytest.mark.parametrize("install", [[], ["--install", "matplotlib"]], ids=["without-matplotlib", "with-matplotlib"])
def test_matplotlib_inline_passes_with_or_without_matplotlib(tmp_path, install):
    target = _notebook(tmp_path / "lesson.ipynb", "%matplotlib inline\nimport numpy as np", LESSON)
    status, out, err, records = check(target, "--backend", "numpy", *install, summary=tmp_path / "s")
    rec = records[str(target)]
    assert status == 0 and rec["status"] == "PASS", (out, err)
    assert subject(rec, "corr2d")["passed"] == subject(rec, "corr2d")["applicable"] > 0
    skipped = [note for note in rec["notes"] if "matplotlib is not installed" in note]
    assert len(skipped) == (0 if install else 1), rec["notes"]
