"""Starting a target's child: in a bubblewrap sandbox of its own, or (--no-sandbox) bare.

The sandbox (Debian's `bubblewrap`, Flatpak's) gives each child:
- new user, PID, network, IPC, UTS and cgroup namespaces: no network (not even the host's
  loopback), and every process it starts lives and dies with it (a double fork, a new
  session, a reparented grandchild: killing the sandbox's first process ends them all, and
  its exit waits for them);
- a read-only view of the system (/usr, /etc without its secrets) and of the Python
  environment that runs it, nothing else of the host: not the checkout, $HOME, the other
  targets or the parent's /proc (it has a /proc of its own);
- two small writable tmpfs folders, /submission (a copy of the target and the files beside it
  that are not targets of the run) and /tmp, gone with it;
- only check's child package and the framework's adapter (`backends/NAME/tensors.py`, its
  declaration's `adapter`), read-only at /opt/check: never the suite's reference, cases,
  tolerances or judge;
- an environment of its own (no variable of the parent's but the locale and OpenBLAS's
  machine settings), no capabilities, and the unprivileged uid 65534.
Measured here (`tests/check/test_sandbox.py` checks each claim): bubblewrap itself costs
about 0.04 s a child.
"""

import functools
import json
import os
import pathlib
import secrets
import shutil
import signal
import subprocess
import tempfile

from dataclasses import dataclass, field

from convsuite import backends
from convsuite.conformance.harness.environment import worker_environment

CHILD_PACKAGE = pathlib.Path(__file__).resolve().parents[1] / "child"
LIB, WORK, SANDBOX_TMP = "/opt/check", "/submission", "/tmp"
BOOT = "import sys; sys.path.insert(0, {lib!r}); from check_child import main; main.boot()"
TMPFS_BYTES = 256 << 20  # each of /work and /tmp
KEPT_VARIABLES = ("LANG", "LC_ALL", "LC_CTYPE", "TZ", "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE")
HIDDEN_FILES = ("/etc/shadow", "/etc/gshadow", "/etc/shadow-", "/etc/gshadow-")
HIDDEN_FOLDERS = ("/etc/ssh", "/etc/ssl/private")
MAX_STAGED = 200  # files copied beside a target
MAX_STAGED_BYTES = 16 << 20  # each


class SandboxUnavailable(RuntimeError):
    """No sandbox can be had here (one line: why, and what to do)."""


def environment(backend, home):
    """The child's variables: the backend's own, one thread per pool, nothing of the parent's."""
    env = {key: value for key, value in worker_environment(backend, one_thread=True).items()
           if key not in os.environ or key in KEPT_VARIABLES or os.environ[key] != value}
    env.pop("PYTHONPATH", None)
    env.update({key: os.environ[key] for key in KEPT_VARIABLES if key in os.environ})
    env.update(PATH="/usr/local/bin:/usr/bin:/bin", HOME=home, TMPDIR=home, PYTHONUNBUFFERED="1",
               MPLBACKEND="Agg", PYTHONDONTWRITEBYTECODE="1", PYTHONNOUSERSITE="1")
    return env


def resident_bytes(pid):
    """(resident memory, process count) of `pid` and every process under it (0, 0 once it is
    gone). In the sandbox every process is under its first one: an orphan is adopted by the
    PID namespace's init, which is bubblewrap's, never by the host's."""
    total, count, todo = 0, 0, [pid]
    while todo:
        current = todo.pop()
        try:
            status = pathlib.Path(f"/proc/{current}/status").read_text()
            total += int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmRSS"))) * 1024
            count += 1
            for task in pathlib.Path(f"/proc/{current}/task").iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except (OSError, StopIteration, ValueError):
            continue
    return total, count


@functools.lru_cache(maxsize=None)
def python_roots(python):
    """The folders the environment's Python reads: its prefixes and every entry of its path."""
    code = "import json, sys; print(json.dumps([sys.prefix, sys.base_prefix, *sys.path]))"
    done = subprocess.run([str(python), "-c", code], capture_output=True, text=True, env={"PATH": "/usr/bin"})
    if done.returncode:
        raise SandboxUnavailable(f"{python} does not start: {done.stderr.strip()[-200:]}")
    roots = []
    for entry in json.loads(done.stdout):
        path = pathlib.Path(entry)
        if entry and path.is_dir() and not any(path.is_relative_to(r) for r in roots) and path != pathlib.Path("/"):
            roots = [r for r in roots if not r.is_relative_to(path)] + [path]
    return tuple(roots)


def _system_binds():
    args = []
    for top in ("/usr", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/etc"):
        path = pathlib.Path(top)
        if path.is_symlink():
            args += ["--symlink", os.readlink(top), top]
        elif path.is_dir():
            args += ["--ro-bind", top, top]
    args += [a for f in HIDDEN_FILES if os.path.exists(f) for a in ("--ro-bind", "/dev/null", f)]
    args += [a for d in HIDDEN_FOLDERS if os.path.isdir(d) for a in ("--tmpfs", d)]
    return args


class Staged:
    """The files a child sees: the target, the files beside it that are not targets, the
    nearest book config.ini above it, and --share folders at their place relative to it."""

    def __init__(self, target, others=(), shared=()):
        self.target, folder = pathlib.Path(target).resolve(), pathlib.Path(target).resolve().parent
        others = {pathlib.Path(o).resolve() for o in others}
        # a link beside the target is the submission's too: followed here (this process reads
        # as the teacher), it would copy any file of the machine into the sandbox
        beside = [p for p in sorted(folder.iterdir()) if p.is_file() and not p.is_symlink()
                  and not p.name.startswith(".") and p not in others and p != self.target
                  and p.stat().st_size <= MAX_STAGED_BYTES]
        self.files = [(self.target, self.target.name)] + [(p, p.name) for p in beside[:MAX_STAGED]]
        config = next((d / "config.ini" for d in folder.parents if (d / "config.ini").is_file()), None)
        self.config = config if config and not (folder / "config.ini").is_file() else None
        self.shared = [(pathlib.Path(s).resolve(), os.path.normpath(os.path.join(
            WORK, os.path.relpath(pathlib.Path(s).resolve(), folder)))) for s in shared]


@dataclass
class Launch:
    """How one child starts: its command (the Python to run, in its sandbox), the target's
    path as the child sees it, and for --no-sandbox its folder, variables and library."""

    command: list
    target: str
    lib: str = LIB
    cwd: str | None = None
    # bubblewrap's own variables: its first process stays in the sandbox's /proc (as PID 1), so
    # it gets none of the parent's (--clearenv sets the child's)
    env: dict = field(default_factory=lambda: {"PATH": "/usr/bin:/bin"})
    cleanup: pathlib.Path | None = None


class Bubblewrap:
    """Each child in a bubblewrap sandbox of its own."""

    sandboxed = True

    def __init__(self, python, backend):
        self.python, self.backend = pathlib.Path(python), backend
        self.bwrap = shutil.which("bwrap")
        if not self.bwrap:
            raise SandboxUnavailable("check runs submissions only in a sandbox, and bubblewrap is not installed "
                                     "(apt-get install bubblewrap; or --no-sandbox to run them unconfined)")
        self.adapter = backends.declaration(backend).adapter

    def command(self, staged, fds):
        """The bwrap command line; `fds` collects the descriptors it copies files from."""
        args = [self.bwrap, "--unshare-all", "--die-with-parent", "--new-session", "--cap-drop", "ALL",
                "--uid", "65534", "--gid", "65534", *_system_binds(), "--proc", "/proc", "--dev", "/dev",
                "--size", str(TMPFS_BYTES), "--tmpfs", SANDBOX_TMP, "--size", str(TMPFS_BYTES), "--tmpfs", WORK]
        for root in python_roots(self.python):
            args += ["--ro-bind", str(root), str(root)]
        args += ["--ro-bind", str(CHILD_PACKAGE), f"{LIB}/check_child",
                 "--ro-bind", str(self.adapter), f"{LIB}/_check_framework.py"]
        copies = [(path, f"{WORK}/{name}") for path, name in staged.files]
        copies += [(staged.config, "/config.ini")] if staged.config else []
        for path, destination in copies:
            try:
                fd = os.open(path, os.O_RDONLY | (0 if path == staged.target else os.O_NOFOLLOW))
            except OSError:
                if path == staged.target:
                    raise
                continue  # a file beside the target that went away
            fds.append(fd)
            args += ["--perms", "0644", "--file", str(fd), destination]
        for source, destination in staged.shared:
            args += ["--ro-bind", str(source), destination]
        env = environment(self.backend, SANDBOX_TMP)
        args += ["--clearenv", *[a for key, value in env.items() for a in ("--setenv", key, value)]]
        args += ["--remount-ro", "/"]  # the sandbox's own root: nothing but its two tmpfs folders is writable
        return Launch(args + ["--chdir", WORK, "--", str(self.python)], f"{WORK}/{staged.target.name}")

    def probe(self):
        """Raise SandboxUnavailable, in one line, where bubblewrap cannot make a sandbox here."""
        fds = []
        with tempfile.TemporaryDirectory(prefix="check-probe-") as folder:
            empty = pathlib.Path(folder, "probe.py")
            empty.write_text("")
            launch = self.command(Staged(empty), fds)
            try:
                done = subprocess.run([*launch.command, "-c", "pass"], capture_output=True, text=True, pass_fds=fds,
                                      timeout=60)
            finally:
                for fd in fds:
                    os.close(fd)
        if done.returncode:
            why = (done.stderr.strip().splitlines() or ["?"])[-1]
            raise SandboxUnavailable(
                f"check runs submissions only in a sandbox, and bubblewrap cannot make one here ({why}); where "
                "user namespaces are restricted (Ubuntu 24.04), allow them with `sysctl -w "
                "kernel.apparmor_restrict_unprivileged_userns=0`, or run with --no-sandbox")


class Bare:
    """--no-sandbox: the child runs as this user, on this machine, in a temporary folder."""

    sandboxed = False

    def __init__(self, python, backend):
        self.python, self.backend = pathlib.Path(python), backend
        self.adapter = backends.declaration(backend).adapter

    def command(self, staged, fds):
        top = pathlib.Path(tempfile.mkdtemp(prefix="check-bare-"))
        (top / "lib").mkdir()
        (top / "lib" / "check_child").symlink_to(CHILD_PACKAGE)
        (top / "lib" / "_check_framework.py").symlink_to(self.adapter)
        work = top / "work"
        work.mkdir()
        for path, name in staged.files:
            shutil.copyfile(path, work / name)
        if staged.config:
            shutil.copyfile(staged.config, top / "config.ini")
        return Launch([str(self.python)], str(work / staged.target.name), lib=str(top / "lib"), cwd=str(work),
                      env=environment(self.backend, str(top)), cleanup=top)

    def probe(self):
        pass


class Child:
    """One child process and the three pipes to it: its output (stdout and stderr: what the
    user's code prints), its messages, and its control pipe."""

    def __init__(self, launcher, staged):
        self.output, child_output = os.pipe()
        self.messages, child_messages = os.pipe()
        child_control, self.control = os.pipe()
        for fd in (self.output, self.messages, self.control):
            os.set_inheritable(fd, False)
        self.token, fds = secrets.token_hex(12), []
        try:
            launch = launcher.command(staged, fds)
            self.target, self._cleanup = launch.target, launch.cleanup
            self._popen = subprocess.Popen(
                [*launch.command, "-c", BOOT.format(lib=launch.lib), self.token, str(child_messages),
                 str(child_control)], stdin=subprocess.DEVNULL, stdout=child_output, stderr=child_output,
                env=launch.env, pass_fds=(child_messages, child_control, *fds), start_new_session=True,
                cwd=launch.cwd)
        finally:
            for fd in (child_output, child_messages, child_control, *fds):
                os.close(fd)
        self.pid, self._sandboxed = self._popen.pid, launcher.sandboxed

    def poll(self):
        """The child's exit status, a signal as a negative number (bubblewrap exits with 128 +
        the signal that killed its child, as a shell does)."""
        status = self._popen.poll()
        if self._sandboxed and status is not None and status > 128:
            return 128 - status
        return status

    def kill(self):
        for kill in (lambda: os.killpg(self.pid, signal.SIGKILL), lambda: os.kill(self.pid, signal.SIGKILL)):
            try:
                kill()
                break
            except (ProcessLookupError, PermissionError):
                continue
        self._popen.wait()  # bubblewrap's exit waits for every process of its PID namespace

    def close(self):
        for fd in (self.output, self.messages, self.control):
            try:
                os.close(fd)
            except OSError:
                pass
        self.kill()
        if self._cleanup:
            shutil.rmtree(self._cleanup, ignore_errors=True)


def launcher(python, backend, sandboxed=True):
    """The launcher for this run: probed once, so that a missing sandbox stops it before any target."""
    chosen = (Bubblewrap if sandboxed else Bare)(python, backend)
    chosen.probe()
    return chosen
