"""The parent's side of a child process that runs a framework: `run`'s, the fuzzer's and the
bench's, so that a framework that aborts, segfaults or hangs is a verdict, never a hang or
a crash of the parent.

`Child` is any such process: it reads its JSON-line replies on a thread of their own (the
child never blocks on a full pipe while the parent waits on another child), keeps the tail
of its stderr, and waits on each reply for at most a deadline. A child that exits, is killed
or passes its deadline becomes a `Death`: which backend, which case, the signal, and what it
printed last.

`Worker` is a `python -m conformance serve` child (`conformance.harness.serve`): it is sent
(path, case) items in batches and streams one result per item. When it dies, the item in
flight gets a "WorkerDied" error result, and with `restart` a fresh worker runs the rest.
"""

import collections
import json
import queue
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeAlias, TypedDict

from convsuite.conformance.environments.run import code_path
from convsuite.conformance.harness.results import ErrorInfo, Result, Runs
from convsuite.conformance.harness.runner import applies
from convsuite.spec.cases import RawCase

# How long a child may take over one case before it is declared hung and killed. Generous:
# a compiled path compiles for seconds, a large case on a loaded machine takes a minute.
CASE_DEADLINE_S = 600.0
# How long a child may take to import its framework and say it is ready.
START_DEADLINE_S = 600.0
# Lines of a child's stderr kept for the report of its death.
TAIL_LINES = 20
_EOF = object()

# (run, path, index into the batch's cases) of one item of a batch.
Item: TypeAlias = tuple[int, str, int]
Answers: TypeAlias = dict[Item, Result]
# Told each result as it comes: (its path, its case id).
Progress: TypeAlias = Callable[[str, str], object]


class Request(TypedDict):
    """A batch sent to a worker (`conformance.harness.serve`): every case on each of `paths`
    (None: every path offered), `repeat` times."""

    cases: list[RawCase]
    paths: list[str] | None
    repeat: int


class Death(Exception):
    """A child that died or hung: `backend`, the `case` (id) and `path` in flight (None
    between cases), `how` ("killed by SIGABRT", "exited with code 1", "passed its deadline
    of 600 s"), `tail`: the last lines of its stderr."""

    def __init__(self, backend: str, case: str | None, path: str | None, *, how: str, tail: str) -> None:
        self.backend, self.case, self.path, self.how, self.tail = backend, case, path, how, tail
        where = f"case {case}" + (f" on path {path}" if path else "") if case is not None else "between cases"
        super().__init__(f"the {backend} worker {how} ({where}); last output: {tail or '(nothing)'}")

    def error(self) -> ErrorInfo:
        """The result-file error of the case it killed."""
        return {"type": "WorkerDied", "message": str(self)}


def _how(returncode: int | None) -> str:
    if returncode is None:
        return "stopped answering"
    if returncode < 0:
        try:
            return f"was killed by {signal.Signals(-returncode).name}"
        except ValueError:
            return f"was killed by signal {-returncode}"
    return f"exited with code {returncode}"


class Child:
    """A child process answering in JSON lines on stdout, its stderr echoed and its tail kept."""

    def __init__(self, name: str, command: Sequence[str], env: Mapping[str, str], *,
                 deadline: float = CASE_DEADLINE_S, echo: bool = True) -> None:
        self.name, self.deadline, self.echo = name, deadline, echo
        self.process = subprocess.Popen(command, cwd=code_path(), env=env, stdin=subprocess.PIPE,
                                        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        self.lines: queue.Queue[str | object] = queue.Queue()
        self.tail: collections.deque[str] = collections.deque(maxlen=TAIL_LINES)
        threading.Thread(target=self._read_stdout, daemon=True).start()
        self._stderr_done = threading.Thread(target=self._read_stderr, daemon=True)
        self._stderr_done.start()

    def _read_stdout(self) -> None:
        assert self.process.stdout is not None  # opened with PIPE
        for line in self.process.stdout:
            self.lines.put(line)
        self.lines.put(_EOF)

    def _read_stderr(self) -> None:
        assert self.process.stderr is not None  # opened with PIPE
        for line in self.process.stderr:
            self.tail.append(line.rstrip("\n")[:240])  # a framework prints lines of kilobytes at times
            if self.echo:
                sys.stderr.write(line)

    def write(self, message: Mapping[str, Any]) -> None:
        """Send one JSON line without ever blocking the parent (a child that does not read
        its stdin fills the pipe; its deadline then reports it)."""
        def send() -> None:
            assert self.process.stdin is not None  # opened with PIPE
            try:
                self.process.stdin.write(json.dumps(message) + "\n")
                self.process.stdin.flush()
            except (BrokenPipeError, OSError, ValueError):
                pass  # it died: the next read reports how

        threading.Thread(target=send, daemon=True).start()

    def read(self, case: str | None = None, path: str | None = None, deadline: float | None = None) -> Any:
        """The next JSON line; `Death` when the child exits or passes the deadline first."""
        try:
            line = self.lines.get(timeout=deadline or self.deadline)
        except queue.Empty:
            self.process.kill()
            self.process.wait()
            raise self.death(case, path, f"passed its deadline of {deadline or self.deadline:.0f} s and was killed")
        if not isinstance(line, str):  # _EOF
            raise self.death(case, path)
        return json.loads(line)

    def death(self, case: str | None, path: str | None, how: str | None = None) -> "Death":
        returncode = self.process.wait()
        self._stderr_done.join(timeout=5)
        return Death(self.name, case, path, how=how or _how(returncode), tail=" | ".join(self.tail)[-2000:])

    def close(self) -> "Death | None":
        """Let it finish; kill it if it does not within seconds. Its `Death` if it died."""
        try:
            if self.process.stdin:
                self.process.stdin.close()
        except (BrokenPipeError, OSError):
            pass
        try:
            returncode = self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            returncode = self.process.wait()
        self._stderr_done.join(timeout=5)
        if returncode == 0:
            return None
        return Death(self.name, None, None, how=_how(returncode), tail=" | ".join(self.tail)[-2000:])


def serve_command(python: str, name: str) -> list[str]:
    return [python, "-m", "convsuite.conformance", "serve", "--backend", name]


class Worker:
    """A `python -m conformance serve` child in one backend's environment, restarted when it
    dies: `run` and the fuzzer send it (path, case) items (`conformance.harness.serve`)."""

    def __init__(self, name: str, python: str, env: Mapping[str, str], *, deadline: float = CASE_DEADLINE_S,
                 start_deadline: float = START_DEADLINE_S) -> None:
        self.name, self.python, self.env = name, python, env
        self.deadline, self.start_deadline = deadline, start_deadline
        self.deaths: list[Death] = []
        self.fruitless = 0  # deaths since the last answer
        self._start()

    def _start(self) -> None:
        self.child = Child(self.name, serve_command(self.python, self.name), self.env, deadline=self.deadline)
        hello = self.child.read(deadline=self.start_deadline)
        if "unavailable" in hello:
            self.child.close()
            raise Unavailable(hello["unavailable"])
        self.versions: dict[str, str] = hello["versions"]
        self.paths: list[str] = hello["paths"]
        self.compiles_every_path: bool = hello["compiles_every_path"]

    def send(self, raw_cases: list[RawCase], paths: list[str] | None = None, repeat: int = 1) -> None:
        """Start a batch: each case on each of `paths` (None: every path the backend offers,
        the fast path first), `repeat` times; `receive` collects it."""
        self.batch = Request(cases=raw_cases, paths=paths, repeat=repeat)
        self.child.write(self.batch)

    def receive(self, restart: bool = False, progress: Progress | None = None) -> Answers:
        """{(run, path, index): result} of the batch sent. When the worker dies: with
        `restart`, the case in flight gets a WorkerDied error and a fresh worker runs the rest
        of the batch; without, the `Death` is raised."""
        raw_cases, paths, repeat = self.batch["cases"], self.batch["paths"], self.batch["repeat"]
        answers: Answers = {}
        running: tuple[Item, str, str] | None = None  # the item in flight, its case id and path
        while True:
            try:
                reply = self.child.read(running[1], running[2]) if running else self.child.read()
            except Death as death:
                self.deaths.append(death)
                self.fruitless += 1
                # Twice dead between cases or at its start, without an answer: it would die again.
                if not restart or repeat != 1 or (running is None and self.fruitless > 1):
                    raise
                if running:
                    answers[running[0]] = {"id": raw_cases[running[0][2]]["id"], "error": death.error()}
                self.child.close()  # already dead: only its pipes are left
                self._start()
                left = [(path, index) for path in chosen(self.paths, paths) for index in range(len(raw_cases))
                        if (0, path, index) not in answers and applies(raw_cases[index], path)]
                self._resend(raw_cases, left, answers=answers, progress=progress)
                return answers
            if "done" in reply:
                return answers
            key: Item = (reply["run"], reply["path"], reply["index"])
            if "running" in reply:
                running = (key, raw_cases[reply["index"]]["id"], reply["path"])
            else:
                answers[key], running, self.fruitless = reply["result"], None, 0
                if progress:
                    progress(reply["path"], reply["result"]["id"])

    def _resend(self, raw_cases: list[RawCase], left: list[tuple[str, int]], *, answers: Answers,
                progress: Progress | None) -> None:
        """The rest of a batch after a death, path by path, in a fresh worker (restarted again
        as often as it dies)."""
        for path in dict.fromkeys(path for path, _ in left):
            indexes = [index for p, index in left if p == path]
            self.send([raw_cases[index] for index in indexes], [path])
            for (_, _, sub), result in self.receive(restart=True, progress=progress).items():
                answers[0, path, indexes[sub]] = result

    def close(self) -> Death | None:
        death = self.child.close()
        if death:
            self.deaths.append(death)
        return death


class Unavailable(RuntimeError):
    """The worker's framework cannot load in its environment (its message says how to install it)."""


def chosen(offered: Sequence[str], paths: Sequence[str] | None) -> list[str]:
    """The paths a request runs: those of `paths` the backend offers (None: all), in its order."""
    return [path for path in offered if paths is None or path in paths]


def documents(offered: Sequence[str], raw_cases: Sequence[RawCase], answers: Answers, *,
              paths: Sequence[str] | None = None, repeat: int = 1) -> list[Runs]:
    """The answers of a batch as `runner.run_paths` gives them, once per run:
    {"results": fast-path results, "paths": {path: [...]}}; `offered`: the backend's paths."""
    runs: list[Runs] = []
    for run in range(repeat):
        by_path = {path: [answers[run, path, index] for index, raw in enumerate(raw_cases)
                          if applies(raw, path) and (run, path, index) in answers]
                   for path in chosen(offered, paths)}
        runs.append({"results": by_path.pop("fast", []), "paths": by_path})
    return runs
