"""Starting a target's child: afresh, or forked from a worker that has imported the framework.

Every child gets three pipes: its stdout and stderr (one pipe: what the user's code prints),
its message pipe and its control pipe (`conformance.check.protocol`), and a session of its
own, so that killing it kills whatever it started. Its environment is the backend's worker
environment with one thread per pool (targets run side by side).

Forking: a backend that declares "fork_after_import" (NumPy and PyTorch: safe to fork once
imported, with single-threaded pools) gets a `Zygote`, started once per run, and each child
is forked from it, so that no target pays for the framework's import (PyTorch's: 2.2 s here).
The others start each child afresh (`Spawn`). Measured on this machine (20 forks each, after
the import and a first op, one thread per pool, the child running the fast and built-in
corr2d): JAX's forked child deadlocked 20 times in 20 (JAX warns at the fork that it "is
multithreaded, so this will likely lead to a deadlock"); TensorFlow's and MXNet's children
finished 20 times in 20 (0.05 s and 0.02 s), but neither framework supports forking a
started runtime (TensorFlow's thread pools and MXNet's engine threads do not survive into
the child; a learner's code may reach any op that needs them), so they pay their import per
target instead: 2.3 s (TensorFlow), 1.1 s (MXNet), 0.5 s (JAX).
"""

import json
import os
import pathlib
import queue
import signal
import socket
import subprocess
import threading

from conformance.harness.environment import worker_environment

ROOT = pathlib.Path(__file__).resolve().parents[2]
BOOT = ("import sys; sys.path.insert(0, {root!r}); from conformance.check import {module}; "
        "{module}.boot()")


def environment(backend):
    env = worker_environment(backend, one_thread=True)
    env.pop("PYTHONPATH", None)  # the boot line puts the checkout first; the user's folder follows
    env.update(PYTHONUNBUFFERED="1", MPLBACKEND="Agg", PYTHONDONTWRITEBYTECODE="1")
    return env


def resident_bytes(pid):
    """Resident memory of `pid` and every process under it (0 once it is gone)."""
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        try:
            status = pathlib.Path(f"/proc/{current}/status").read_text()
            total += int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS"))) * 1024
            for task in pathlib.Path(f"/proc/{current}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, StopIteration, ValueError):
            continue
    return total


class Pipes:
    """The parent's ends (output, messages, control) and the child's."""

    def __init__(self):
        self.output, self.child_output = os.pipe()
        self.messages, self.child_messages = os.pipe()
        self.child_control, self.control = os.pipe()
        for fd in (self.output, self.messages, self.control):
            os.set_inheritable(fd, False)

    def child_ends(self):
        return [self.child_output, self.child_messages, self.child_control]

    def close_child_ends(self):
        for fd in self.child_ends():
            os.close(fd)


def _kill_group(pid):
    for kill in (lambda: os.killpg(pid, signal.SIGKILL), lambda: os.kill(pid, signal.SIGKILL)):
        try:
            kill()
            return
        except (ProcessLookupError, PermissionError):
            continue


class Spawned:
    def __init__(self, python, env, cwd, token, pipes):
        self._popen = subprocess.Popen(
            [str(python), "-c", BOOT.format(root=str(ROOT), module="child"), token,
             str(pipes.child_messages), str(pipes.child_control)],
            stdin=subprocess.DEVNULL, stdout=pipes.child_output, stderr=pipes.child_output,
            pass_fds=(pipes.child_messages, pipes.child_control), cwd=cwd, env=env,
            start_new_session=True)
        self.pid = self._popen.pid

    def poll(self):
        return self._popen.poll()

    def kill(self):
        _kill_group(self.pid)
        self._popen.wait()


class Spawn:
    """A fresh interpreter per child."""

    forks = False

    def __init__(self, python, backend):
        self.python, self.env = python, environment(backend)

    def start(self, cwd, token):
        pipes = Pipes()
        process = Spawned(self.python, self.env, cwd, token, pipes)
        pipes.close_child_ends()
        return process, pipes

    def close(self):
        pass


class Forked:
    def __init__(self, pid, zygote):
        self.pid, self._zygote = pid, zygote

    def poll(self):
        return self._zygote.status(self.pid)

    def kill(self):
        _kill_group(self.pid)
        self._zygote.wait(self.pid, 10)


class Zygote:
    """The fork server (`conformance.check.zygote`) and its replies."""

    forks = True

    def __init__(self, python, backend, log_path, ready_timeout=600):
        self._sock, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        self._log = open(log_path, "wb")
        self._popen = subprocess.Popen(
            [str(python), "-c", BOOT.format(root=str(ROOT), module="zygote"), str(theirs.fileno()), backend],
            stdin=subprocess.DEVNULL, stdout=self._log, stderr=self._log, pass_fds=(theirs.fileno(),),
            env=environment(backend), start_new_session=True)
        theirs.close()
        self._pids, self._statuses = queue.Queue(), {}
        self._changed, self._lock = threading.Condition(), threading.Lock()
        self._sock.settimeout(ready_timeout)
        ready = self._sock.recv(65536)
        if not ready:
            raise RuntimeError(f"the fork server did not start (exit {self._popen.wait()}; its log: {log_path})")
        self._sock.settimeout(None)
        threading.Thread(target=self._listen, daemon=True).start()

    def _listen(self):
        while True:
            data = self._sock.recv(65536)
            if not data:
                with self._changed:
                    self._statuses["dead"] = True
                    self._changed.notify_all()
                self._pids.put(None)
                return
            message = json.loads(data)
            if "pid" in message:
                self._pids.put(message["pid"])
            else:
                with self._changed:
                    self._statuses[message["exit"]] = message["status"]
                    self._changed.notify_all()

    def status(self, pid):
        with self._changed:
            if pid in self._statuses:
                return self._statuses[pid]
            return -signal.SIGKILL if self._statuses.get("dead") else None

    def wait(self, pid, timeout):
        with self._changed:
            self._changed.wait_for(lambda: pid in self._statuses or "dead" in self._statuses, timeout)

    def start(self, cwd, token):
        pipes = Pipes()
        with self._lock:
            socket.send_fds(self._sock, [json.dumps({"token": token, "cwd": cwd}).encode()], pipes.child_ends())
            pid = self._pids.get(timeout=60)
        pipes.close_child_ends()
        if pid is None:
            raise RuntimeError("the fork server has stopped")
        return Forked(pid, self), pipes

    def close(self):
        self._sock.close()
        _kill_group(self._popen.pid)
        self._popen.wait()
        self._log.close()
