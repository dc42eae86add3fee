"""Running `python -m conformance check` as a user does, and reading what it wrote."""

import json
import os
import pathlib
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
COURSE = ROOT / "course"


def check(*arguments, summary=None, timeout=600):
    """(exit status, stdout, stderr, {target: record}) of one check command, in this
    environment (the backend session's), from the checkout's root."""
    extra = ["--summary", str(summary)] if summary else []
    done = subprocess.run([sys.executable, "-m", "convsuite.conformance", "check", *map(str, arguments), *extra],
                          cwd=ROOT, capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, "PYTHONDONTWRITEBYTECODE": "1"})
    records = {}
    if summary and (pathlib.Path(summary) / "summary.json").exists():
        for rec in json.loads((pathlib.Path(summary) / "summary.json").read_text())["targets"]:
            records[rec["target"]] = rec
    return done.returncode, done.stdout, done.stderr, records


def subject(rec, name):
    found = [s for s in rec["subjects"] if s["name"] == name]
    assert found, f"{rec['target']}: no verdict for {name}; it has {[s['name'] for s in rec['subjects']]}"
    return found[0]


def verdicts(subject_record, **where):
    """The case verdicts of a subject (failures only are kept in the summary)."""
    return [v for v in subject_record["failures"] if all(v.get(k) == value for k, value in where.items())]


LESSON_TEMPLATE = '''import numpy as np

def {name}(X, K):
    h, w = K.shape
    Y = np.zeros((X.shape[0] - h + 1, X.shape[1] - w + 1))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = (X[i:i + h, j:j + w] * K).sum()
    return Y
'''


def lesson(name="corr2d"):
    """The lesson's corr2d, as a learner writes it, under `name`."""
    return LESSON_TEMPLATE.format(name=name)


LESSON = lesson()
