"""Leaves detached processes behind that outlive the verdict and then rewrite the summary."""
import json
import pathlib

try:  # where the test says the checkout, the listener and the summary are
    AIM = json.loads(pathlib.Path("aim.json").read_text())
except (OSError, ValueError):
    AIM = {"checkout": "/nonexistent", "port": 0, "summary": "/nonexistent", "home": "/nonexistent"}  # harmless

import os
import subprocess
import sys

SCRIPT = r'''
import glob, os, sys, time
time.sleep(4)
for path in glob.glob(sys.argv[2] + "/summary*") + glob.glob("summary.json"):
    try:
        open(path, "w").write("ESCAPED")
    except OSError:
        pass
time.sleep(60)  # convsuite-escape-marker
'''
subprocess.Popen([sys.executable, "-c", SCRIPT, "convsuite-escape-marker", AIM["summary"]], start_new_session=True,
                 stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
if os.fork() == 0:  # a double fork: the grandchild is an orphan
    if os.fork() == 0:
        os.setsid()
        os.execv(sys.executable, [sys.executable, "-c", SCRIPT, "convsuite-escape-marker", AIM["summary"]])
    os._exit(0)


def corr2d(X, K):
    return X[:1, :1] * 0
