"""The main job: every backend's cases, each in its pinned environment, side by side; the
report written; the results compared (its exit code is the job's).

While the backends run, each one's progress shows as it comes: its path, case k of n and,
when it ends, its result. On a terminal that is a bar per backend (rich, when installed);
anywhere else (CI's log, a pipe) plain lines, at most one per backend every few seconds
besides each path's first and last. A child's `run` prints its progress on stderr
(`[numpy:builtin] 200/230 cases (last: ...)`), read line by line as it comes; the rest of
its output is printed when it ends.
"""

import concurrent.futures
import os
import re
import shlex
import subprocess
import sys
import threading
import time

from convsuite import backends
from convsuite.conformance.environments import build, run, specs

# What `python -m convsuite.conformance run` prints on stderr (conformance/cli.py, `_run`).
PROGRESS_LINE = re.compile(r"^\[(?P<backend>[^\]:]+):(?P<path>[^\]]+)\] (?P<done>\d+)/(?P<total>\d+) cases"
                           r" \(last: (?P<case>.*)\)$")


def main_environments():
    return [specs.spec(env.session) for env in backends.environments() if env.default]


def parse_progress(line):
    """(path, done, total, case id) of a progress line of `run`, else None."""
    match = PROGRESS_LINE.match(line.rstrip("\r\n"))
    return match and (match["path"], int(match["done"]), int(match["total"]), match["case"])


class PlainLines:
    """Progress as lines, for a log: "[numpy] builtin: case 200 of 230 (last: ...)" as each
    child prints it, but at most one per backend every `every` seconds besides each path's
    first and last line; "[numpy] ..." when a backend starts and ends."""

    def __init__(self, say=print, every=10.0, clock=time.monotonic):
        self.say, self.every, self.clock = say, every, clock
        self.lock = threading.Lock()
        self.last = {}  # backend -> (path, time of its last line shown)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def started(self, name):
        with self.lock:
            self.say(f"[{name}] running its cases")

    def progress(self, name, path, done, total, case):
        with self.lock:
            now, (last_path, shown) = self.clock(), self.last.get(name, (None, None))
            if path != last_path or done == total or now - shown >= self.every:
                self.last[name] = (path, now)
                self.say(f"[{name}] {path}: case {done} of {total} (last: {case})")

    def finished(self, name, header, output, failed):
        with self.lock:
            self.say(f"[{name}] {'FAILED ' if failed else ''}{header}")
            print(output, end="", flush=True)


class Bars:
    """Progress as a rich bar per backend (a terminal): its path, case k of n, the last case,
    then its result; each child's own output printed above the bars when it ends."""

    def __init__(self, names, console=None):
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

        width = max(map(len, names), default=0)
        self.bars = Progress(TextColumn(f"{{task.fields[name]:<{width}}}"), TextColumn("{task.fields[path]:<8}"),
                                 BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                                 TextColumn("{task.fields[note]}"), console=console)
        self.tasks = {name: self.bars.add_task("", total=None, start=False, name=name, path="",
                                                   note="waiting for its environment") for name in names}

    def __enter__(self):
        self.bars.start()
        return self

    def __exit__(self, *exc):
        self.bars.stop()
        return False

    def started(self, name):
        self.bars.start_task(self.tasks[name])
        self.bars.update(self.tasks[name], note="starting")

    def progress(self, name, path, done, total, case):
        self.bars.update(self.tasks[name], path=path, completed=done, total=total,
                             note=case if len(case) <= 40 else case[:37] + "...")

    def finished(self, name, header, output, failed):
        self.bars.update(self.tasks[name], note=("FAILED " if failed else "done ") + header.rsplit("(", 1)[-1][:-1])
        self.bars.stop_task(self.tasks[name])
        self.bars.console.print(f"[{name}] {header}", markup=False, highlight=False)
        if output:
            self.bars.console.print(output, end="", markup=False, highlight=False)


def display_for(names, say=print, stream=None):
    """Bars where `stream` (stdout) is a terminal and rich can be imported, else plain lines."""
    if (stream or sys.stdout).isatty():
        try:
            return Bars(names)
        except ImportError:
            pass
    return PlainLines(say)


def _execute(name, command, display):
    """Run one command, its stderr read line by line as it comes (the progress shown, the
    rest kept); (argv, exit code, stdout, the rest of stderr, seconds)."""
    argv, environ = command() if callable(command) else command
    display.started(name)
    started = time.monotonic()
    child = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=environ, text=True,
                             errors="replace", bufsize=1)
    rest = []

    def read_stderr():  # to the end whatever happens: a child whose stderr is not read blocks
        for line in child.stderr:
            try:
                progress = parse_progress(line)
                if progress:
                    display.progress(name, *progress)
                    continue
            except Exception as exc:  # a display's failure is no reason to stop the backend
                rest.append(f"(progress not shown: {exc!r})\n")
            rest.append(line)

    reader = threading.Thread(target=read_stderr, daemon=True)
    reader.start()
    stdout = child.stdout.read()
    reader.join()
    return argv, child.wait(), stdout, "".join(rest), time.monotonic() - started


def run_side_by_side(commands, *, say=print, names=None, display=None, workers=None):
    """Run commands `workers` at a time (default: as many as there are cores; each a process
    of its own, most of whose time is Python and compiling, not arithmetic), showing each
    one's progress as it comes and its output when it ends; return the commands that failed.
    A command is (argv, environ), or a function that returns one when its turn comes (its
    environment may still be building); `names` label them (default: command 1, 2, ...)."""
    names = list(names or (f"command {i + 1}" for i in range(len(commands))))
    display = display or display_for(names, say)
    failed = []
    with display, concurrent.futures.ThreadPoolExecutor(max_workers=workers or os.cpu_count() or 1) as pool:
        futures = [pool.submit(_execute, name, command, display) for name, command in zip(names, commands)]
        ended = dict(zip(futures, names))
        for future in concurrent.futures.as_completed(futures):
            argv, code, stdout, stderr, seconds = future.result()
            display.finished(ended[future], f"{shlex.join(argv[3:])} (exit {code}, {seconds:.0f} s)",
                             stdout + stderr[-4000:], bool(code))
            if code:
                failed.append(shlex.join(argv[3:]))
    return failed


def matrix(results="results", report="report", say=print):
    """0 when every backend agrees, 1 otherwise; results/NAME.json and report/ written.
    Every environment builds at once; each backend's cases start as soon as its environment
    is ready and a core is free."""
    envs, report_env = main_environments(), specs.spec("report")
    files = [os.path.join(results, f"{env.name}.json") for env in envs]
    with concurrent.futures.ThreadPoolExecutor(max_workers=len(envs) + 1) as builders:
        pythons = {env.name: builders.submit(build.ensure, env) for env in [*envs, report_env]}

        def command(env, out):
            return lambda: ([str(pythons[env.name].result()), "-m", "convsuite.conformance", "run", "--backend",
                             env.name, "--out", out], run.environ(env))

        failed = run_side_by_side([command(env, out) for env, out in zip(envs, files)], say=say,
                                  names=[env.name for env in envs])
        pythons[report_env.name].result()
    if failed:
        say(f"failed: {'; '.join(failed)}")
        return 1
    # The page matters most when backends disagree: it is written whatever compare decides,
    # while compare runs beside it.
    page = run.start(report_env, ["report", *files, "--out", report])
    code = run.conformance(report_env, ["compare", *files]).returncode
    out, err = page.communicate()
    print(out + err[-4000:], end="", flush=True)
    return code if page.returncode in (0, 1) else 1
