"""Messages between `check` and a target's child process: one JSON object per line.

The child writes its messages to a pipe of their own (never to its stdout or stderr, which
hold what the user's code prints), each line starting with a token the parent chose for that
child, so that nothing the user's code writes anywhere can pass for a result. NaN and the
infinities travel as Python's json writes them.
"""

import json
import os

MAX_LINE = 64 * 1024 * 1024  # a lesson-sized result is a few kB; more is not a message


class Channel:
    """The child's end: send() messages, receive() the parent's instructions."""

    def __init__(self, token, out_fd, in_fd):
        self.token = token
        self._out = os.fdopen(out_fd, "w", buffering=1, closefd=True)
        self._in = os.fdopen(in_fd, "r", closefd=True)

    def send(self, kind, **fields):
        self._out.write(self.token + json.dumps({"t": kind, **fields}) + "\n")
        self._out.flush()

    def receive(self):
        line = self._in.readline()
        if not line:
            raise EOFError("the parent closed the control pipe")
        return json.loads(line)


def encode_instruction(message):
    return (json.dumps(message) + "\n").encode()


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
                self.rejected += 1
        if len(self._buffer) > MAX_LINE:
            self._buffer, self.rejected = b"", self.rejected + 1
        return messages
