"""Build an environment once, under a file lock, with uv where present (else venv and pip).

A build goes into its own folder, named by its spec's key; the marker file is written last,
so a folder without it (a build that was killed) is cleared and built again. A second
process that asks for the same environment waits on the lock, then finds it built.

`create` and `install` are the only places a virtual environment is made and packages are
installed into one: the builds here and check's overlays (`conformance.check.sandbox.overlay`)
both use them.
"""

import concurrent.futures
import glob
import json
import os
import pathlib
import shlex
import shutil
import subprocess
import sys
import sysconfig
import time

from convsuite.conformance.environments.specs import location, python_of

MARKER = "convsuite-environment.json"
# pip's settings that decide where packages come from; uv reads none of pip's configuration.
PIP_SOURCES = {"find-links": "--find-links", "extra-index-url": "--extra-index-url",
               "index-url": "--index-url", "constraint": "--constraint"}


class BuildError(RuntimeError):
    """An environment that could not be built: the installer's last words."""


def is_built(env):
    return (location(env) / MARKER).is_file()


def ensure(env, say=None):
    """The Python of `env`'s build, built first if there is none."""
    from filelock import FileLock

    folder = location(env)
    if is_built(env):
        return python_of(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(f"{folder}.lock"):
        if not is_built(env):  # another process may have built it while this one waited
            _build(env, folder, say or _stderr)
    return python_of(folder)


def ensure_all(envs, say=None):
    """The Python of each of `envs`, the missing ones built side by side."""
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, len(envs))) as pool:
        return list(pool.map(lambda env: ensure(env, say), envs))


def _stderr(message):
    print(message, file=sys.stderr, flush=True)


def _build(env, folder, say):
    interpreter = find_python(env.python)
    uv = uv_binary()
    say(f"convsuite: building environment {env.name} (Python {env.python}, "
        f"{', '.join(env.requirements + env.tools)}) with {'uv' if uv else 'venv and pip'} in {folder}")
    started = time.monotonic()
    # pip inside (seeded), for check's overlays, which chain to this environment and use its pip
    _succeeded(env, create(interpreter, folder, seed_pip=True, uv=uv))
    _succeeded(env, install(python_of(folder), _files("-r", env.requirements), uv=uv))
    if env.tools:
        _succeeded(env, install(python_of(folder), ["--no-deps", *_files("-r", env.tools)], uv=uv))
    (folder / MARKER).write_text(json.dumps({"name": env.name, "key": env.key, "python": env.python,
                                             "requirements": list(env.requirements + env.tools),
                                             "installer": "uv" if uv else "pip",
                                             "seconds": round(time.monotonic() - started, 1)}, indent=1))
    say(f"convsuite: environment {env.name} built in {time.monotonic() - started:.1f} s")


def _succeeded(env, done):
    if done.returncode:
        raise BuildError(f"environment {env.name}: `{shlex.join(done.args)}` failed "
                         f"(exit {done.returncode}): {(done.stderr or done.stdout).strip()[-600:]}")


def _uv_environ():
    return {**os.environ, "UV_PYTHON_DOWNLOADS": "never"}  # never a managed Python downloaded at run time


def create(interpreter, folder, *, seed_pip, uv=None):
    """Make a fresh virtual environment of `interpreter` in `folder` (whatever was there is
    removed), with pip in it where `seed_pip`: with `uv` (its executable) where given, else
    with venv. The finished process; its returncode says whether it worked."""
    shutil.rmtree(folder, ignore_errors=True)
    if uv:
        command = [uv, "venv", "--quiet", *(["--seed"] if seed_pip else []), "--python", interpreter, folder]
    else:
        command = [interpreter, "-m", "venv", *([] if seed_pip else ["--without-pip"]), folder]
    return _run(command, _uv_environ() if uv else None)


def install(python, arguments, *, uv=None):
    """`pip install ARGUMENTS` into the environment of `python`: with `uv pip` where `uv` is
    given (offered this machine's pip package sources), else with the pip that `python`
    finds. The finished process; its returncode says whether it worked."""
    if uv:  # pip takes the best version across every index it is given; so must uv
        command = [uv, "pip", "install", "--quiet", "--python", python, "--index-strategy", "unsafe-best-match",
                   *pip_sources(), *arguments]
    else:
        command = [python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", *arguments]
    return _run(command, _uv_environ() if uv else None)


def _run(command, environ):
    return subprocess.run([str(c) for c in command], capture_output=True, text=True, env=environ)


def _files(flag, paths):
    import convsuite

    return [part for path in paths for part in (flag, convsuite.resource(path))]


def uv_binary():
    """uv's executable: on PATH, beside this Python (the `uv` package, a dependency of
    convsuite, puts it there), else None."""
    for candidate in (shutil.which("uv"), pathlib.Path(sys.executable).parent / "uv",
                      pathlib.Path(sysconfig.get_path("scripts")) / "uv"):
        if candidate and pathlib.Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return None


def pip_sources():
    """This machine's pip settings for where packages come from, as uv's options, so that
    both installers see the same packages (a local wheel folder, a mirror)."""
    done = subprocess.run([sys.executable, "-m", "pip", "config", "list"], capture_output=True, text=True)
    options = []
    for line in done.stdout.splitlines() if done.returncode == 0 else []:
        key, _, value = line.partition("=")
        option = PIP_SOURCES.get(key.rpartition(".")[2])
        if option:
            options += [part for item in shlex.split(value.strip().strip("'\"")) for part in (option, item)]
    pairs = list(dict.fromkeys(zip(options[::2], options[1::2])))  # pip lists a setting once per scope
    return [part for pair in pairs for part in pair]


def find_python(version):
    """An interpreter of Python `version` ("3.11"): this one, one on PATH, or pyenv's."""
    if f"{sys.version_info.major}.{sys.version_info.minor}" == version:
        return sys.executable
    pyenv = os.environ.get("PYENV_ROOT", os.path.expanduser("~/.pyenv"))
    for candidate in [shutil.which(f"python{version}"),
                      *sorted(glob.glob(f"{pyenv}/versions/{version}.*/bin/python{version}"), reverse=True)]:
        if candidate and subprocess.run([candidate, "-c", "pass"], capture_output=True).returncode == 0:
            return candidate
    raise BuildError(f"no Python {version} on this machine (an environment needs it): install it, or put "
                            f"python{version} on PATH")
