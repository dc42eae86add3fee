"""Messages between `check` and a target's child process: one JSON object per line, every
kind and field named here, in one place.

The child writes its messages to a pipe of their own (never to its stdout or stderr, which
hold what the user's code prints), each line starting with a token the parent chose for that
child, so that nothing the user's code prints can pass for a result. The user's code runs in
the child's own process, though, and can find that pipe: the parent therefore checks every
message against `MESSAGES` (`conformance.check.sandbox.messages`) and judges only numbers
against its own reference, which the child never sees. NaN and the infinities travel as
Python's json writes them. Arrays go to the child as their raw bytes (`encode_array`).
"""

import base64
import json
import os

import numpy as np

MAX_LINE = 64 * 1024 * 1024  # a lesson-sized result is a few kB; more is not a message

# Child -> parent: each kind, its required fields and its optional ones.
MESSAGES = {
    "cells": ({"tab", "cells"}, set()),
    "input-error": ({"message"}, set()),
    "environment-error": ({"module", "message"}, set()),
    "cell": ({"index"}, set()),
    "cell-error": ({"index", "error"}, set()),
    "loaded": ({"subjects", "notes", "missing", "loops", "versions"}, set()),
    "start": ({"i"}, set()),
    "result": ({"i"}, {"outputs", "extra", "error"}),
    "done": (set(), set()),
    # `tabs` (child/steps.py): what one cell of a chapter's tab showed, printed and raised
    "value": ({"index", "value", "printed"}, {"error"}),
}


class Channel:
    """The child's end: send() messages, receive() the parent's instructions."""

    def __init__(self, token, out_fd, in_fd):
        self.token = token
        self._out = os.fdopen(out_fd, "w", buffering=1, closefd=True)
        self._in = os.fdopen(in_fd, "r", closefd=True)

    def send(self, kind, **fields):
        assert kind in MESSAGES, kind
        self._out.write(self.token + json.dumps({"t": kind, **fields}) + "\n")
        self._out.flush()

    def receive(self):
        line = self._in.readline()
        if not line:
            raise EOFError("the parent closed the control pipe")
        return json.loads(line)


def encode_instruction(message):
    return (json.dumps(message) + "\n").encode()


def encode_array(array):
    array = np.ascontiguousarray(array)
    return {"dtype": array.dtype.str, "shape": list(array.shape), "bytes": base64.b64encode(array.tobytes()).decode()}


def decode_array(encoded):
    data = base64.b64decode(encoded["bytes"])
    return np.frombuffer(data, dtype=np.dtype(encoded["dtype"])).reshape(encoded["shape"]).copy()


class Reader:
    """The parent's end of the message pipe: complete lines that carry the token."""

    def __init__(self, token):
        self.token = token.encode()
        self._buffer = b""
        self.rejected = 0  # lines without the token: a stray write, never a result

    def feed(self, data):
        self._buffer += data
        messages = []
        while b"\n" in self._buffer:
            line, self._buffer = self._buffer.split(b"\n", 1)
            if not line.startswith(self.token):
                self.rejected += 1
                continue
            try:
                messages.append(json.loads(line[len(self.token):]))
            except ValueError:
                messages.append({"t": "unreadable", "line": line[len(self.token):][:200].decode(errors="replace")})
        if len(self._buffer) > MAX_LINE:
            self._buffer = b""
            messages.append({"t": "unreadable", "line": f"a line of over {MAX_LINE} bytes"})
        return messages
