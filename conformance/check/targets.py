"""The targets on the command line: files, FILE:NAME, folders and globs; and the shards.

A folder stands for the targets in it (its .py and .ipynb files, and its .md files that hold
code cells), a glob for the files it matches; FILE:NAME checks one function or class of
FILE. `--shard K/N` keeps every N-th target of the sorted list starting at the K-th, so that
N machines split any list the same way whatever order the shell gives it.
"""

import glob
import pathlib
from dataclasses import dataclass

from convsuite.conformance.check.child.sources import InputError, kind_of

SKIPPED_FOLDERS = {"__pycache__", ".ipynb_checkpoints", ".git", ".nox", "node_modules"}
CODE_FENCES = ("```{.python .input}", "```python")


@dataclass(frozen=True)
class Target:
    path: str
    function: str | None = None

    @property
    def label(self):
        return f"{self.path}:{self.function}" if self.function else self.path


def _split(spec):
    head, sep, tail = spec.rpartition(":")
    if sep and tail.isidentifier() and kind_of(head):
        return head, tail
    return spec, None


def _is_chapter(path):
    try:
        text = path.read_text(errors="replace")
    except OSError:
        return False
    return any(fence in text for fence in CODE_FENCES)


def _folder(folder):
    found = []
    for path in sorted(folder.rglob("*")):
        if SKIPPED_FOLDERS & set(path.relative_to(folder).parts) or not path.is_file():
            continue
        kind = kind_of(path)
        if kind in ("python", "notebook") or (kind == "chapter" and _is_chapter(path)):
            found.append(str(path))
    return found


def expand(specs):
    """The targets, each once, in order; InputError (exit 2) for a spec that names nothing."""
    targets = []
    for spec in specs:
        path, function = _split(spec)
        if any(ch in path for ch in "*?["):
            matches = sorted(glob.glob(path, recursive=True))
            paths = [p for m in matches for p in (_folder(pathlib.Path(m)) if pathlib.Path(m).is_dir() else [m])
                     if kind_of(p)]
            if not paths:
                raise InputError(f"{spec}: no .py, .ipynb or .md file matches")
        elif pathlib.Path(path).is_dir():
            paths = _folder(pathlib.Path(path))
            if not paths:
                raise InputError(f"{spec}: the folder holds no .py, .ipynb or .md target")
        elif not pathlib.Path(path).exists():
            raise InputError(f"{spec}: no such file")
        elif not kind_of(path):
            raise InputError(f"{spec}: not a target check reads (.py, .ipynb, a d2l .md chapter, or FILE:NAME)")
        else:
            paths = [path]
        for found in paths:
            target = Target(found, function)
            if target not in targets:
                targets.append(target)
    return targets


def parse_shard(text):
    """"K/N" -> (K, N) with 1 <= K <= N; ValueError (a usage error) otherwise."""
    try:
        k, n = (int(part) for part in text.split("/"))
    except ValueError:
        raise ValueError(f"--shard takes K/N (for example 2/4), got {text!r}") from None
    if not 1 <= k <= n:
        raise ValueError(f"--shard K/N needs 1 <= K <= N, got {text!r}")
    return k, n


def shard(targets, k, n):
    ordered = sorted(targets, key=lambda t: t.label)
    return [t for index, t in enumerate(ordered) if index % n == k - 1]
