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
first and last kilobytes are kept. A `Run` holds what the parent needs of it: the child's
checked messages (`messages`' TypedDicts) and the `Event`s that ended a child.
"""

import os
import re
import select
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal, NotRequired, TypedDict, final

from convsuite.conformance.check.child.protocol import Reader, encode_instruction
from convsuite.conformance.check.sandbox.launch import Bare, Bubblewrap, Child, Staged, resident_bytes
from convsuite.conformance.check.sandbox.messages import (Cell, Checker, Corrupt, EnvironmentErrorMessage, ErrorInfo,
                                                           LoadedMessage, Loop, Message, ResultMessage, Subject,
                                                           ValueMessage)

INTERNAL = 70  # the exit status of a child whose own code (not the user's) failed
FAULT_FRAME = re.compile(r'File "(?P<file>[^"]+)", line (?P<line>\d+)')


@dataclass(frozen=True)
class Limits:
    case_s: float = 20.0
    cell_s: float = 120.0
    target_s: float = 600.0
    memory_bytes: int = 4 << 30
    processes: int = 64


# What ended a child: past a limit, dead, or a channel it corrupted.
EventKind = Literal["hang", "crash", "memory", "processes", "target-timeout", "corrupt"]


class Event(TypedDict):
    kind: EventKind
    detail: str
    where: NotRequired[str | None]  # where in the target's code, where known
    status: NotRequired[int | None]  # a crash's exit status
    during: NotRequired[int | None]  # the target's event: the cell (loading) or call (cases) it ended


@final  # so that `"event" in outcome` tells a CallEvent from a ResultMessage
class CallEvent(TypedDict):
    """The outcome of a call whose child was stopped: in `Run.results` for the call it ran."""
    i: int
    event: Event


class Loaded(TypedDict):
    """What the target defines, from its first "loaded" message."""
    subjects: list[Subject]
    notes: list[str]
    missing: list[str]
    loops: list[Loop]
    versions: dict[str, str]


class CallInstruction(TypedDict):
    """One call as the child receives it (child/calls.py): arrays as bytes, the geometry in
    the lesson's form, a learning loop's argument names."""
    i: int
    subject: str
    op: str
    inputs: dict[str, Any]
    geometry: dict[str, Any]
    arguments: NotRequired[dict[str, str]]


@dataclass(frozen=True)
class Call:
    """A call the parent planned (`judging.plan`): a subject of the target on a case."""
    i: int
    subject: str
    role: str
    case: dict[str, Any]  # the raw case, as its cases file holds it
    message: CallInstruction


class NotApplicable(TypedDict):
    """A case of a subject's op that the subject does not take: `group` says why for every
    such case alike (the summary counts them), `reason` for this one."""
    subject: str
    case: str
    group: str
    reason: str


# The planner: what the target defines -> (its calls, the cases that do not apply to it).
Planner = Callable[[Loaded], tuple[list[Call], list[NotApplicable]]]


class Capture:
    """What the user's code printed: its size, its beginning and its end."""

    HEAD, TAIL = 4096, 16384

    def __init__(self) -> None:
        self.total, self.head, self.tail = 0, b"", b""

    def feed(self, data: bytes) -> None:
        self.total += len(data)
        if len(self.head) < self.HEAD:
            self.head += data[: self.HEAD - len(self.head)]
        self.tail = (self.tail + data)[-self.TAIL:]

    def text(self) -> str:
        return self.tail.decode(errors="replace")


@dataclass
class Run:
    cells: list[Cell] = field(default_factory=list)
    tab: str | None = None
    input_error: str | None = None
    cell_errors: dict[int, ErrorInfo] = field(default_factory=dict)  # cell index -> described exception
    cell_events: dict[int, Event] = field(default_factory=dict)  # cell index -> crash, hang or memory
    loaded: Loaded | None = None
    calls: list[Call] = field(default_factory=list)
    not_applicable: list[NotApplicable] = field(default_factory=list)
    results: dict[int, ResultMessage | CallEvent] = field(default_factory=dict)  # call index -> its outcome
    values: dict[int, ValueMessage] = field(default_factory=dict)  # `tabs`: cell index -> its "value" message
    target_event: Event | None = None
    environment_error: EnvironmentErrorMessage | None = None
    output: Capture = field(default_factory=Capture)
    attempts: int = 0
    seconds: float = 0.0
    peak_bytes: int = 0
    stray_lines: int = 0


def _signal_name(status: int) -> str:
    try:
        return signal.Signals(-status).name
    except ValueError:
        return f"signal {-status}"


def _where(run: Run, text: str) -> str | None:
    """The innermost frame of the target's own code in a faulthandler traceback."""
    places = {cell["filename"]: cell for cell in run.cells}
    for match in FAULT_FRAME.finditer(text):
        cell = places.get(match["file"])
        if cell:
            line = int(match["line"])
            first = cell["first_line"]
            return f"line {first + line - 1} of {cell['label']}" if first else f"{cell['label']}, line {line}"
    return None


def death(run: Run, status: int | None) -> Event:
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

    def __init__(self, run: Run, *, launcher: Bubblewrap | Bare, staged: Staged, job: dict[str, Any],
                 planner: Planner | None, limits: Limits, deadline: float, first_call: int) -> None:
        self.run, self.limits, self.deadline = run, limits, deadline
        self.planner, self.first_call = planner, first_call
        self.process = self.pipes = Child(launcher, staged)
        self.reader, self.checker = Reader(self.process.token), Checker(len(run.cells))
        self.phase: Literal["load", "cases", "done"] = "load"
        self.cell: int | None = None  # the cell running, while the target loads
        self.call: int | None = None  # the call running, while the cases run
        self.mark = time.monotonic()  # when that cell or call started
        self._send({**job, "target": self.process.target})

    def _send(self, message: dict[str, Any]) -> None:
        def write() -> None:
            try:
                os.write(self.pipes.control, encode_instruction(message))
            except OSError:
                pass  # the child is gone; its death is the verdict
        threading.Thread(target=write, daemon=True).start()

    def _handle(self, message: Message) -> None:
        run = self.run
        if message["t"] == "cells":
            if not run.cells:
                run.cells, run.tab = message["cells"], message.get("tab")
        elif message["t"] == "environment-error":
            run.environment_error, self.phase = message, "done"
        elif message["t"] == "input-error":
            run.input_error, self.phase = message["message"], "done"
        elif message["t"] == "cell":
            self.cell, self.mark = message["index"], time.monotonic()
        elif message["t"] == "cell-error":
            run.cell_errors.setdefault(message["index"], message["error"])
        elif message["t"] == "loaded":
            self._loaded(message)
        elif message["t"] == "start":
            self.call, self.mark = message["i"], time.monotonic()
        elif message["t"] == "result":
            run.results[message["i"]], self.call = message, None
        elif message["t"] == "value":
            run.values[message["index"]] = message
        elif message["t"] == "done":
            self.phase = "done"

    def _loaded(self, message: LoadedMessage) -> None:
        """Plan the calls (once, from the first child's message) and send those left to run."""
        run, self.cell = self.run, None
        if run.loaded is None:
            run.loaded = Loaded(subjects=message["subjects"], notes=message["notes"], missing=message["missing"],
                                loops=message["loops"], versions=message["versions"])
            if self.planner is None:  # a run of `tabs`: its child loads no target
                raise Corrupt("a loaded message in a run that plans no calls")
            run.calls, run.not_applicable = self.planner(run.loaded)
        calls = [c for c in run.calls if c.i >= self.first_call]
        self.checker.expect_calls(c.i for c in calls)
        self._send({"calls": [c.message for c in calls]})
        self.phase = "cases"

    def _kill(self, event: Event) -> Event:
        self.process.kill()
        return event

    def watch(self) -> Event | None:
        """None when the child finished; else the event that ended it."""
        open_fds, last_rss = {self.pipes.output, self.pipes.messages}, 0.0
        while True:
            ready = select.select(list(open_fds), [], [], 0.05)[0] if open_fds else []
            if not open_fds:
                time.sleep(0.02)  # both pipes closed: wait for the process to end
            for fd in ready:
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

    def close(self) -> None:
        """Kill the child's sandbox and wait until every process of it is gone."""
        self.process.close()


def supervise(job: dict[str, Any], launcher: Bubblewrap | Bare, staged: Staged, *, planner: Planner | None,
              limits: Limits) -> Run:
    """Run one target to its end through as many children as its crashes and hangs take;
    `planner`: None where the job plans no calls (`tabs`)."""
    run, start = Run(), time.monotonic()
    deadline, first_call, skip = start + limits.target_s, 0, set[int]()
    while True:
        run.attempts += 1
        attempt = _Attempt(run, launcher=launcher, staged=staged, job={**job, "skip_cells": sorted(skip)},
                           planner=planner, limits=limits, deadline=deadline, first_call=first_call)
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
            if first_call < len(run.calls) and run.calls[-1].i >= first_call:
                continue
            break
        run.target_event = {**event, "during": attempt.cell}
        break
    run.seconds = time.monotonic() - start
    return run
