"""pytest --convsuite-backend NAME PATH...: check's verdicts as pytest test items.

Installed with convsuite (the `pytest11` entry point), this plugin does nothing unless
--convsuite-backend is given. Then pytest also collects, under the paths it is given:

- notebooks (.ipynb), d2l Markdown chapters (.md holding a code cell, as `check FOLDER`
  chooses them; a .md named on the command line always) and .py files;
- never pytest's own test modules (the `python_files` patterns, test_*.py by default),
  conftest.py or __init__.py, nor anything under .ipynb_checkpoints, .git, .nox,
  __pycache__ or node_modules: those stay pytest's (and are imported by pytest, unsandboxed).

Each such file is a target: `convsuite check TARGET --backend NAME` judges it, in its sandbox
and in the backend's pinned environment (built on first use, as the `convsuite` command
does), so the pytest process itself needs no framework. Its items, one per function:

- `FILE::corr2d`, `FILE::Conv2D`, ...: one per function or class check judged; it passes
  when every applicable case passes, fails with check's verdict (the pass count, the first
  failing case and its hint) otherwise, and is skipped when no case applies to it (check's
  "not checked": not a pass);
- `FILE::learning-loop`: skipped, a learning script check runs but cannot compare;
- `FILE::[target]`, only where the target as a whole fails: it fails with the target's
  problems (a cell that raised, a hang, no code loaded, a --convsuite-require name missing),
  check's error (a file it cannot read: check's exit status 2), or "nothing to check" / "nothing
  checked" (check fails a target with no lesson function, so this fails too, never passes or
  skips silently).

So a target's items all pass (or skip) exactly when check's verdict on it is PASS. (Each
target is checked on its own, as `check FILE` does: the other files beside it, targets too,
are in its sandbox, where `check FOLDER` leaves the folder's other targets out.)

Collecting needs check's verdict (the items are the functions it found), so collection runs
it, several targets at once (--convsuite-jobs, default: the CPUs, shared by pytest-xdist's
workers). Under pytest-xdist every worker collects; check runs once per target all the same:
the controller makes a folder for the session and hands it to the workers, and a file lock
per target there lets the first worker run check while the others wait and read its result.

Importing this module costs nothing: convsuite's own modules are imported only when
--convsuite-backend is given.
"""

import concurrent.futures
import fnmatch
import hashlib
import json
import os
import pathlib
import shutil
import tempfile

import pytest

TARGET_ITEM = "[target]"  # not an identifier: never a function's name
LOOP_ITEM = "learning-loop"
NOT_TARGETS = ("conftest.py", "__init__.py")
SKIPPED_FOLDERS = {"__pycache__", ".ipynb_checkpoints", ".git", ".nox", "node_modules"}  # as check's folders
FOLDER_KEY = "convsuite_folder"  # in xdist's workerinput: the session's folder
STATE = pytest.StashKey()


def pytest_addoption(parser):
    group = parser.getgroup("convsuite", "convsuite check: learners' corr2d, Conv2D and learning loops")
    group.addoption("--convsuite-backend", metavar="NAME",
                    help="collect notebooks, d2l Markdown chapters and .py files as check's targets, judged "
                    "with backend NAME (convsuite check --backend NAME); without it this plugin does nothing")
    group.addoption("--convsuite-install", action="append", default=[], metavar="PKG",
                    help="a package the targets need (check --install PKG); repeatable")
    group.addoption("--convsuite-require", default="", metavar="NAME,...",
                    help="names or roles every target must define (check --require), e.g. corr2d,Conv2D")
    group.addoption("--convsuite-jobs", type=int, metavar="N",
                    help="targets checked at once, all pytest-xdist workers together (default: the CPUs)")


class CheckFailure(Exception):
    """A verdict that fails its item; its text is the report (no traceback)."""


def _matches(path, patterns):
    """Whether `path` matches one of pytest's `python_files` globs, as pytest matches them."""
    for pattern in patterns:
        if os.sep not in pattern:
            name = path.name
        else:
            name = str(path)
            if path.is_absolute() and not os.path.isabs(pattern):
                pattern = f"*{os.sep}{pattern}"
        if fnmatch.fnmatch(name, pattern):
            return True
    return False


class Checks:
    """The session's check runs: one per target, shared by every process of the session."""

    def __init__(self, config, backend, folder, *, owner):
        self.config, self.backend, self.folder, self.owner = config, backend, folder, owner
        self.install = config.getoption("convsuite_install")
        self.require = config.getoption("convsuite_require")
        workers = getattr(config, "workerinput", {}).get("workercount", 1)
        jobs = config.getoption("convsuite_jobs") or os.cpu_count() or 1
        self.pool = concurrent.futures.ThreadPoolExecutor(max(1, jobs // max(1, workers)),
                                                          thread_name_prefix="convsuite-check")
        self.jobs = {}
        self.cwd = str(config.invocation_params.dir)
        # what the session collects: pytest makes a node of every file of a folder on the way
        # to one it is asked for, and drops the others; those are no target to check ahead
        self.asked = [pathlib.Path(os.path.abspath(os.path.join(self.cwd, arg.split("::")[0])))
                      for arg in config.args]
        self.worker = getattr(config, "workerinput", {}).get("workerid", "main")

    # which files are targets

    def is_target(self, path, session, explicit):
        """Whether pytest's file `path` is a target (`explicit`: the python plugin offers it)."""
        try:
            parts = path.relative_to(self.config.rootpath).parts
        except ValueError:
            parts = path.parts
        if SKIPPED_FOLDERS & set(parts[:-1]):
            return False
        suffix = path.suffix.lower()
        initial = session.isinitpath(path)
        if suffix == ".py":
            if path.name in NOT_TARGETS or _matches(path, self.config.getini("python_files")):
                return False
            # pytest's python plugin offers a .py named on the command line to
            # pytest_pycollect_makemodule (explicit), and only there: taken there, never twice
            return explicit or not initial
        if suffix == ".ipynb":
            return True
        if suffix == ".md":
            from convsuite.conformance.check.targets import CODE_FENCES

            if initial:
                return True
            try:  # a folder's .md: one with a code cell, as check chooses them
                text = path.read_text(errors="replace")
            except OSError:
                return False
            return any(fence in text for fence in CODE_FENCES)
        return False

    def command(self, path):
        """The `convsuite check` command line that gives this target's verdict in full."""
        import shlex

        try:
            shown = os.path.relpath(path, self.cwd)
        except ValueError:
            shown = str(path)
        return shlex.join(["convsuite", "check", shown, "--backend", self.backend,
                           *(f"--install={package}" for package in self.install),
                           *(["--require", self.require] if self.require else [])])

    def node(self, parent, path):
        if any(path == asked or asked in path.parents for asked in self.asked):
            self.submit(path)  # checked now, beside the folder's others; the rest when collected
        return TargetFile.from_parent(parent, path=path)

    # running check, once per target per session

    def _key(self, path):
        return hashlib.sha256(str(pathlib.Path(path).resolve()).encode()).hexdigest()[:16]

    def submit(self, path):
        if path not in self.jobs:
            self.jobs[path] = self.pool.submit(self._first_try, path)

    def _first_try(self, path):
        """check's outcome, or None when another process of the session holds the target (it runs
        check; outcome() waits for it): a worker never queues behind the others' targets."""
        from filelock import FileLock, Timeout

        lock = FileLock(str(self.folder / f"{self._key(path)}.lock"))
        try:
            lock.acquire(timeout=0)
        except Timeout:
            return None
        try:
            return self._read_or_run(path)
        finally:
            lock.release()

    def outcome(self, path):
        from filelock import FileLock

        self.submit(path)
        try:
            got = self.jobs[path].result()
            if got is None:
                with FileLock(str(self.folder / f"{self._key(path)}.lock")):
                    got = self._read_or_run(path)  # the other process's, or a run here if it died first
        except Exception as exc:  # this plugin's own trouble (a full disk): the target's item says it
            return {"returncode": None, "record": None,
                    "stderr": f"convsuite: the pytest plugin could not run check: {type(exc).__name__}: {exc}"}
        return got

    def _read_or_run(self, path):
        folder = self.folder / self._key(path)
        done = folder / "outcome.json"
        if done.is_file():
            return json.loads(done.read_text())
        folder.mkdir(parents=True, exist_ok=True)
        outcome = {**self._check(path, folder), "target": str(path), "checked_by": self.worker}
        staged = folder / f".outcome-{os.getpid()}.json"
        staged.write_text(json.dumps(outcome))
        os.replace(staged, done)  # written last: a file there is a finished run
        return outcome

    def _check(self, path, folder):
        from convsuite.conformance.environments import build, run, specs

        argv = ["check", str(path), "--backend", self.backend, "--summary", str(folder),
                *(f"--install={package}" for package in self.install),
                *(["--require", self.require] if self.require else [])]
        try:
            done = run.conformance(specs.spec(self.backend), argv, capture_output=True, text=True, cwd=self.cwd)
        except (build.BuildError, OSError) as exc:
            return {"returncode": None, "stderr": f"convsuite: {exc}", "record": None}
        record = None
        summary = folder / "summary.json"
        if summary.is_file():
            try:
                records = json.loads(summary.read_text())["targets"]
                record = records[0] if records else None
            except (ValueError, KeyError, IndexError, TypeError):
                record = None
        return {"returncode": done.returncode, "stderr": done.stderr[-4000:], "record": record}

    def close(self):
        self.pool.shutdown(wait=True, cancel_futures=True)  # a run still going writes in the folder
        if self.owner:
            shutil.rmtree(self.folder, ignore_errors=True)


# the verdicts: plain data (what summary.json holds) -> (name, outcome, text) per item


def _subject_text(subject, backend):
    name = subject["name"]
    if not subject["applicable"]:
        text = f"{name}: not checked: no case applies to it (it is not a pass)"
        return text + (f"; {subject['not_applicable']} case(s) not applicable" if subject["not_applicable"] else "")
    lines = [f"{name} [{backend}]: {subject['passed']} of {subject['applicable']} applicable cases pass"
             + (f" (checked as {subject['role']}, found by {subject['found']})"
                if subject["role"] not in (name, "layer") else "")]
    first = subject.get("first_failure")
    if first:
        lines.append(f"first failure: {first['case']} ({first['inputs']}): {first['detail']}")
        if first.get("hint"):
            lines.append(f"  hint: {first['hint']}")
        kinds = {}
        for verdict in subject.get("failures", []):
            kinds.setdefault(verdict.get("kind") or verdict["status"], []).append(verdict)
        for what, group in list(kinds.items())[:6]:
            if group[0] is first or group[0] == first:
                if len(group) > 1:
                    lines.append(f"{len(group)} failing case(s) in all {what}")
                continue
            lines.append(f"{len(group)} more failing case(s) {what}; the first: {group[0]['case']} "
                         f"({group[0]['inputs']}): {group[0]['detail']}"
                         + (f"; hint: {group[0]['hint']}" if group[0].get("hint") else ""))
    lines += [f"note: {note}" for note in subject.get("notes", [])]
    return "\n".join(lines)


def _error_lines(outcome):
    """check's own words when it judged nothing (an input error, no sandbox, a crash)."""
    lines = [line for line in (outcome.get("stderr") or "").splitlines() if line.strip()]
    said = [line for line in lines if line.startswith(("check:", "convsuite:"))]
    return said[-3:] or lines[-5:]


def verdicts(outcome, backend):
    """[(item name, "passed" | "failed" | "skipped", text)] for a target's check outcome."""
    rec = outcome.get("record")
    code = outcome.get("returncode")
    if rec is None:
        said = _error_lines(outcome) or [f"check exited with status {code} and wrote no verdict"]
        head = f"check could not judge this target (exit status {code})" if code is not None else "check did not run"
        return [(TARGET_ITEM, "failed", "\n".join([f"{head}:", *said]))]
    if rec["status"] == "ERROR":
        return [(TARGET_ITEM, "failed", f"check [{backend}]: ERROR: {rec['error']}")]
    found, names = [], set()
    for subject in rec["subjects"]:
        name = subject["name"] if subject["name"] not in names else f"{subject['name']}-as-{subject['role']}"
        names.add(name)
        if not subject["applicable"]:
            state = "skipped"
        else:
            state = "passed" if subject["passed"] == subject["applicable"] else "failed"
        found.append((name, state, _subject_text(subject, backend)))
    for index, loop in enumerate(rec.get("loops", [])):
        name = LOOP_ITEM if len(rec["loops"]) == 1 else f"{LOOP_ITEM}-{index + 1}"
        found.append((name, "skipped", f"learning loop at {loop['where']} ({loop['code']}): run, not checked: "
                      "write it as a function learn(X, Y, K_init, lr, steps) returning (losses, K) to have it "
                      "checked"))
    problems = list(rec.get("problems", []))
    if rec.get("nothing_to_check"):
        problems.append("nothing to check: no function or class with a lesson name (corr2d, corr2d_multi_in, "
                        "corr2d_multi_in_out, corr2d_multi_in_out_1x1, conv2d, Conv2D) or a learning loop's "
                        "parameters (check fails such a target)")
    if rec.get("nothing_checked"):
        problems.append("nothing checked: no case applies to any of its functions (check fails such a target)")
    if not problems and rec["status"] != "PASS" and all(state != "failed" for _, state, _ in found):
        problems.append(f"check's verdict is {rec['status']}")  # a reason this plugin does not know yet
    if problems:
        head = f"check [{backend}]: {rec['status']}: "
        lines = [head + problems[0]] if len(problems) == 1 else [
            head + f"{len(problems)} problems with the target as a whole", *(f"  {p}" for p in problems)]
        found.append((TARGET_ITEM, "failed", "\n".join(lines + [f"note: {n}" for n in rec.get("notes", [])])))
    return found


class TargetFile(pytest.File):
    """A target: its items are check's verdicts on it."""

    def collect(self):
        checks = self.config.stash[STATE]
        for name, state, text in verdicts(checks.outcome(self.path), checks.backend):
            if state == "failed":
                text += f"\n(all of check's verdict: {checks.command(self.path)})"
            item = VerdictItem.from_parent(self, name=name, state=state, text=text)
            if state == "skipped":
                item.add_marker(pytest.mark.skip(reason=text))
            yield item


class VerdictItem(pytest.Item):
    def __init__(self, *, state, text, **kwargs):
        super().__init__(**kwargs)
        self.state, self.text = state, text

    def runtest(self):
        if self.state == "failed":
            raise CheckFailure(self.text)

    def repr_failure(self, excinfo):
        if isinstance(excinfo.value, CheckFailure):
            return self.text
        return super().repr_failure(excinfo)

    def reportinfo(self):
        # the domain heads the failure's section; not a suffix of the node id, which pytest -v
        # would then show with its dots as "::" (a Python module's dotted path)
        return self.path, 0, f"{self.name} in {self.path.name}"


# hooks


def pytest_configure(config):
    backend = config.getoption("convsuite_backend")
    if not backend:
        if config.getoption("convsuite_install") or config.getoption("convsuite_require"):
            raise pytest.UsageError("--convsuite-install and --convsuite-require need --convsuite-backend NAME")
        return
    from convsuite import backends

    if backend not in backends.names():
        raise pytest.UsageError(f"--convsuite-backend: unknown backend {backend!r}; "
                                f"backends: {', '.join(backends.names())}")
    jobs = config.getoption("convsuite_jobs")
    if jobs is not None and jobs < 1:
        raise pytest.UsageError(f"--convsuite-jobs takes a positive number, got {jobs}")
    workerinput = getattr(config, "workerinput", None)
    if workerinput is not None:  # a pytest-xdist worker: the controller's folder
        folder = workerinput.get(FOLDER_KEY)
        if folder is None:  # a controller without this plugin's hook: the run's own id
            folder = os.path.join(tempfile.gettempdir(), f"convsuite-pytest-{workerinput['testrunuid']}")
        os.makedirs(folder, exist_ok=True)  # a worker on another machine (--tx ssh=...) checks on its own
        config.stash[STATE] = Checks(config, backend, pathlib.Path(folder), owner=False)
    else:
        config.stash[STATE] = Checks(config, backend, pathlib.Path(tempfile.mkdtemp(prefix="convsuite-pytest-")),
                                     owner=True)


@pytest.hookimpl(optionalhook=True)
def pytest_configure_node(node):
    """pytest-xdist's controller, for each worker it starts: the session's folder."""
    checks = node.config.stash.get(STATE, None)
    if checks is not None:
        node.workerinput[FOLDER_KEY] = str(checks.folder)


def pytest_unconfigure(config):
    checks = config.stash.get(STATE, None)
    if checks is not None:
        checks.close()


@pytest.hookimpl(tryfirst=True)
def pytest_sessionstart(session):
    """The backend's environment (and its --install overlay) built once, before any worker
    starts, with a word to the user: the first build takes minutes."""
    checks = session.config.stash.get(STATE, None)
    if checks is None or not checks.owner:
        return
    from convsuite.conformance.environments import build, run, specs

    reporter = session.config.pluginmanager.get_plugin("terminalreporter")
    env = specs.spec(checks.backend)
    say = (lambda line: reporter.write_line(line)) if reporter else (lambda line: None)
    try:
        python = build.ensure(env, say=say)
    except build.BuildError as exc:
        pytest.exit(f"convsuite: {exc}", returncode=1)
    if checks.install:
        code = ("import sys; from convsuite import backends; from convsuite.conformance.check.sandbox import overlay\n"
                "try:\n    overlay.ensure(sys.executable, sys.argv[2:], "
                "fixes=backends.declaration(sys.argv[1]).check['after_install'], say=lambda *a, **k: None)\n"
                "except overlay.OverlayError as exc:\n    sys.exit(f'check: {exc}')")
        say(f"convsuite: the overlay for --convsuite-install {' '.join(checks.install)} (built once)")
        import subprocess

        done = subprocess.run([str(python), "-c", code, checks.backend, *checks.install], env=run.environ(env),
                              capture_output=True, text=True)
        if done.returncode:
            pytest.exit((done.stderr.strip().splitlines() or [f"exit status {done.returncode}"])[-1], returncode=1)


def pytest_report_header(config):
    checks = config.stash.get(STATE, None)
    if checks is not None:
        return f"convsuite: notebooks, d2l chapters and .py files judged by check, backend {checks.backend}"
    return None


def pytest_collect_file(file_path, parent):
    checks = parent.config.stash.get(STATE, None)
    if checks is not None and checks.is_target(file_path, parent.session, explicit=False):
        return checks.node(parent, file_path)
    return None


@pytest.hookimpl(tryfirst=True)
def pytest_pycollect_makemodule(module_path, parent):
    """A .py named on pytest's command line that is no test module: a target, never imported."""
    checks = parent.config.stash.get(STATE, None)
    if checks is not None and checks.is_target(module_path, parent.session, explicit=True):
        return checks.node(parent, module_path)
    return None
