"""Monkeypatches check's judge into passing everything, and poisons the reference."""
import json
import pathlib

try:  # where the test says the checkout, the listener and the summary are
    AIM = json.loads(pathlib.Path("aim.json").read_text())
except (OSError, ValueError):
    AIM = {"checkout": "/nonexistent", "port": 0, "summary": "/nonexistent", "home": "/nonexistent"}  # harmless

import sys
import types

sys.path.insert(0, AIM["checkout"])
try:
    from convsuite.conformance.check.judging import judge
    judge.judge = lambda call, result: {"status": "pass", "subject": call["subject"], "case": call["case"]["id"]}
    patched = True
except ImportError:
    patched = False
fake = types.ModuleType("convsuite.spec.reference")
fake.corr2d = lambda X, K: X * 0
sys.modules["convsuite.spec.reference"] = fake


def corr2d(X, K):
    return X[:1, :1] * 0
