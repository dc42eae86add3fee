"""Run `python -m convsuite.conformance ...` in a built environment, with this convsuite."""

import hashlib
import os
import pathlib
import subprocess

import convsuite
from convsuite.conformance.environments import build
from convsuite.conformance.environments.specs import cache_root


def code_path() -> pathlib.Path:
    """The folder that goes on a built environment's PYTHONPATH so that it imports this copy of
    convsuite and nothing else of the caller's: a checkout's root, or, for an installed
    convsuite, a folder in the cache holding only a link to the package (its site-packages
    would bring the caller's NumPy along)."""
    package = pathlib.Path(convsuite.__file__).resolve().parent
    if (package.parent / "pyproject.toml").is_file() and (package.parent / "spec").is_dir():
        return package.parent
    folder = cache_root() / "code" / hashlib.sha256(str(package).encode()).hexdigest()[:12]
    link = folder / "convsuite"
    if not link.is_symlink():
        folder.mkdir(parents=True, exist_ok=True)
        staged = folder / f".convsuite-{os.getpid()}"
        staged.unlink(missing_ok=True)
        staged.symlink_to(package, target_is_directory=True)
        os.replace(staged, link)  # atomic: a concurrent caller sees the link or none
    return folder


def environ(env):
    """The variables a command in `env` runs with: the environment's own, the caller's, and
    this convsuite on PYTHONPATH."""
    return {**env.environ(), "PYTHONPATH": str(code_path())}


def start(env, arguments):
    """`python -m convsuite.conformance ARGUMENTS` in `env`, started, its output captured."""
    python = build.ensure(env)
    return subprocess.Popen([str(python), "-m", "convsuite.conformance", *arguments], env=environ(env),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def conformance(env, arguments, **kwargs):
    """`python -m convsuite.conformance ARGUMENTS` in `env` (built first if need be)."""
    python = build.ensure(env)
    return subprocess.run([str(python), "-m", "convsuite.conformance", *arguments], env=environ(env), **kwargs)
