"""Supervising a target's child: limits, crashes and hangs, resuming after each.

The parent never runs the user's code; it watches the child through its message pipe, and
checks every message before it uses it (`messages`):
- a case that runs past `--timeout`, a cell past `--cell-timeout`, or a child whose
  resident memory (all its sandbox's processes together) passes `--memory`, or whose
  processes pass `--processes`, is killed (RLIMIT_AS would break the frameworks that
  reserve address space, TensorFlow and JAX);
- a message that breaks the protocol ends the target: "the submission corrupted its
  channel";
- a child that dies (a signal such as SIGSEGV, `os._exit`, a fatal error) is a verdict for
  the case or cell it was running, where its faulthandler traceback says;
- then a new child runs the target again, skipping the cells that crashed or hung, and
  goes on with the next case, so every other case still runs, until the target's own limit
  (`--target-timeout`) ends it; cases it leaves are "not run".
What the child prints is drained as it comes (so it never blocks), counted, and only its
first and last kilobytes are kept.
"""

import os
import re
import select
import signal
import threading
import time
from dataclasses import dataclass, field

from convsuite.conformance.check.child.protocol import Reader, encode_instruction
from convsuite.conformance.check.sandbox.launch import Child, resident_bytes
from convsuite.conformance.check.sandbox.messages import Checker, Corrupt

INTERNAL = 70  # the exit status of a child whose own code (not the user's) failed
FAULT_FRAME = re.compile(r'File "(?P<file>[^"]+)", line (?P<line>\d+)')


@dataclass(frozen=True)
class Limits:
    case_s: float = 20.0
    cell_s: float = 120.0
    target_s: float = 600.0
    memory_bytes: int = 4 << 30
    processes: int = 64


class Capture:
    """What the user's code printed: its size, its beginning and its end."""

    HEAD, TAIL = 4096, 16384

    def __init__(self):
        self.total, self.head, self.tail = 0, b"", b""

    def feed(self, data):
        self.total += len(data)
        if len(self.head) < self.HEAD:
            self.head += data[: self.HEAD - len(self.head)]
        self.tail = (self.tail + data)[-self.TAIL:]

    def text(self):
        return self.tail.decode(errors="replace")


@dataclass
class Run:
    cells: list = field(default_factory=list)  # [{"label", "filename", "first_line"}]
    tab: str | None = None
    input_error: str | None = None
    cell_errors: dict = field(default_factory=dict)  # cell index -> described exception
    cell_events: dict = field(default_factory=dict)  # cell index -> crash, hang or memory
    loaded: dict | None = None  # subjects, notes, missing, loops
    calls: list = field(default_factory=list)
    not_applicable: list = field(default_factory=list)
    results: dict = field(default_factory=dict)  # call index -> result message or event
    values: dict = field(default_factory=dict)  # `tabs`: cell index -> its "value" message
    target_event: dict | None = None
    environment_error: dict | None = None
    output: Capture = field(default_factory=Capture)
    attempts: int = 0
    seconds: float = 0.0
    peak_bytes: int = 0
    stray_lines: int = 0


def _signal_name(status):
    try:
        return signal.Signals(-status).name
    except ValueError:
        return f"signal {-status}"


def _where(run, text):
    """The innermost frame of the target's own code in a faulthandler traceback."""
    places = {cell["filename"]: cell for cell in run.cells}
    for match in FAULT_FRAME.finditer(text):
        cell = places.get(match["file"])
        if cell:
            line = int(match["line"])
            first = cell["first_line"]
            return f"line {first + line - 1} of {cell['label']}" if first else f"{cell['label']}, line {line}"
    return None


def death(run, status):
    """A child that ended without finishing, in words."""
    where = _where(run, run.output.text())
    if status == INTERNAL:
        last = [line for line in run.output.text().splitlines() if line.strip()][-1:] or ["?"]
        return {"kind": "crash", "status": status, "where": None,
                "detail": f"check's own child failed (a bug in check, please report it): {last[0]}"}
    if status is not None and status < 0:
        what = f"killed by {_signal_name(status)}"
    else:
        what = f"exited with status {status} before it finished (os._exit, sys.exit in a thread, or a fatal error)"
    return {"kind": "crash", "status": status, "detail": what, "where": where}


class _Attempt:
    """One child, from its start to its end."""

    def __init__(self, run, launcher, staged, job, planner, limits, deadline, first_call):
        self.run, self.limits, self.deadline = run, limits, deadline
        self.planner, self.first_call = planner, first_call
        self.process = self.pipes = Child(launcher, staged)
        self.reader, self.checker = Reader(self.process.token), Checker(len(run.cells))
        self.phase, self.cell, self.call, self.mark = "load", None, None, time.monotonic()
        self._send({**job, "target": self.process.target})

    def _send(self, message):
        def write():
            try:
                os.write(self.pipes.control, encode_instruction(message))
            except OSError:
                pass  # the child is gone; its death is the verdict
        threading.Thread(target=write, daemon=True).start()

    def _handle(self, message):
        kind, run = message["t"], self.run
        if kind == "cells" and not run.cells:
            run.cells, run.tab = message["cells"], message.get("tab")
        elif kind == "environment-error":
            run.environment_error, self.phase = message, "done"
        elif kind == "input-error":
            run.input_error, self.phase = message["message"], "done"
        elif kind == "cell":
            self.cell, self.mark = message["index"], time.monotonic()
        elif kind == "cell-error":
            run.cell_errors.setdefault(message["index"], message["error"])
        elif kind == "loaded":
            self.cell = None
            if run.loaded is None:
                run.loaded = {k: message[k] for k in ("subjects", "notes", "missing", "loops", "versions")}
                run.calls, run.not_applicable = self.planner(run.loaded)
            calls = [c for c in run.calls if c["i"] >= self.first_call]
            self.checker.expect_calls(c["i"] for c in calls)
            self._send({"calls": [c["message"] for c in calls]})
            self.phase = "cases"
        elif kind == "start":
            self.call, self.mark = message["i"], time.monotonic()
        elif kind == "result":
            run.results[message["i"]], self.call = message, None
        elif kind == "value":
            run.values[message["index"]] = message
        elif kind == "done":
            self.phase = "done"

    def _kill(self, event):
        self.process.kill()
        return event

    def watch(self):
        """None when the child finished; else the event that ended it."""
        open_fds, last_rss = {self.pipes.output, self.pipes.messages}, 0.0
        while True:
            for fd in select.select(list(open_fds), [], [], 0.05)[0] if open_fds else time.sleep(0.02) or []:
                data = os.read(fd, 1 << 16)
                if not data:
                    open_fds.discard(fd)
                elif fd == self.pipes.output:
                    self.run.output.feed(data)
                else:
                    for message in self.reader.feed(data):
                        try:
                            self._handle(self.checker.check(message))
                        except Corrupt as exc:
                            return self._kill({"kind": "corrupt", "detail": f"the submission corrupted its "
                                               f"channel: {exc}"})
            if self.phase == "done" and not open_fds:
                return None  # finished and gone: its exit status adds nothing
            status = self.process.poll()
            if status is not None and self.pipes.messages not in open_fds:
                if self.pipes.output in open_fds:  # a grandchild may hold stdout open
                    continue_for = time.monotonic()
                    while self.pipes.output in open_fds and time.monotonic() - continue_for < 1:
                        if select.select([self.pipes.output], [], [], 0.05)[0]:
                            data = os.read(self.pipes.output, 1 << 16)
                            self.run.output.feed(data) if data else open_fds.discard(self.pipes.output)
                return None if self.phase == "done" else death(self.run, status)
            now = time.monotonic()
            if now - last_rss > 0.05:
                last_rss, (rss, processes) = now, resident_bytes(self.process.pid)
                self.run.peak_bytes = max(self.run.peak_bytes, rss)
                if rss > self.limits.memory_bytes:
                    return self._kill({"kind": "memory", "detail": f"resident memory {rss >> 20} MiB passed the "
                                       f"limit of {self.limits.memory_bytes >> 20} MiB (--memory)"})
                if processes > self.limits.processes:
                    return self._kill({"kind": "processes", "detail": f"{processes} processes passed the limit "
                                       f"of {self.limits.processes} (--processes)"})
            if self.phase == "load" and self.cell is not None and now - self.mark > self.limits.cell_s:
                return self._kill({"kind": "hang", "detail": f"still running after {self.limits.cell_s:g} s "
                                   "(--cell-timeout)"})
            if self.phase == "cases" and self.call is not None and now - self.mark > self.limits.case_s:
                return self._kill({"kind": "hang", "detail": f"still running after {self.limits.case_s:g} s (--timeout)"})
            if now > self.deadline:
                return self._kill({"kind": "target-timeout", "detail": f"the target's time limit of "
                                   f"{self.limits.target_s:g} s ran out (--target-timeout)"})

    def close(self):
        """Kill the child's sandbox and wait until every process of it is gone."""
        self.process.close()


def supervise(job, launcher, staged, planner, limits):
    """Run one target to its end through as many children as its crashes and hangs take."""
    run, start = Run(), time.monotonic()
    deadline, first_call, skip = start + limits.target_s, 0, set()
    while True:
        run.attempts += 1
        attempt = _Attempt(run, launcher, staged, {**job, "skip_cells": sorted(skip)}, planner, limits, deadline,
                           first_call)
        try:
            event = attempt.watch()
        finally:
            attempt.close()
        run.stray_lines += attempt.reader.rejected
        if event is None or run.input_error or run.environment_error:
            break
        if event["kind"] in ("target-timeout", "corrupt"):
            run.target_event = {**event, "during": attempt.cell if attempt.phase == "load" else attempt.call}
            break
        if attempt.phase == "load" and attempt.cell is not None and len(run.cells) > 1:
            run.cell_events[attempt.cell] = event  # run the target again without that cell
            skip.add(attempt.cell)
            continue
        if attempt.phase == "cases" and attempt.call is not None:
            run.results[attempt.call] = {"i": attempt.call, "event": event}
            first_call = attempt.call + 1
            if first_call < len(run.calls) and run.calls[-1]["i"] >= first_call:
                continue
            break
        run.target_event = {**event, "during": attempt.cell}
        break
    run.seconds = time.monotonic() - start
    return run
