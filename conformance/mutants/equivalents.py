"""tests/mutants/equivalent.toml: the mutants that cannot change any result, each named by its
file, line, the line's text (so that an entry whose line moved or changed is stale, not
silently applied to another line), cosmic-ray's operator, the mutated line's text (`mutant`:
one operator makes several mutants of a line, e.g. a number plus one and minus one), and the
reason. Standard library only: the tool's environment reads it."""

import pathlib
import tomllib

FILE = "tests/mutants/equivalent.toml"
FIELDS = {"file": str, "line": int, "text": str, "operator": str, "mutant": str, "reason": str}


class EquivalentsError(ValueError):
    """A malformed or stale equivalents file: one line naming the file, the entry and the problem."""


def load(root, path=FILE):
    """The entries of `path` (under `root`), each checked against the source it names."""
    source = pathlib.Path(root, path)
    try:
        entries = tomllib.loads(source.read_text(encoding="utf-8")).get("equivalent", [])
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as error:
        raise EquivalentsError(f"{path}: {error}") from None
    for index, entry in enumerate(entries):
        problem = _problem(root, entry)
        if problem:
            raise EquivalentsError(f"{path}: entry {index + 1}: {problem}")
    return entries


def _problem(root, entry):
    if not isinstance(entry, dict):
        return "not a table"
    for field, kind in FIELDS.items():
        if not isinstance(entry.get(field), kind) or isinstance(entry.get(field), bool):
            return f"{field!r} missing or not a {kind.__name__}"
    if not entry["reason"].strip():
        return "an empty reason"
    lines = _lines(root, entry["file"])
    if lines is None:
        return f"no file {entry['file']}"
    if not 1 <= entry["line"] <= len(lines) or lines[entry["line"] - 1].strip() != entry["text"].strip():
        return f"stale: {entry['file']} line {entry['line']} no longer reads {entry['text'].strip()!r}"
    return None


def _lines(root, relative):
    try:
        return pathlib.Path(root, relative).read_text(encoding="utf-8").splitlines()
    except OSError:
        return None


def matching(entries, module_path, operator, line, mutated_line):
    """The entry that declares this mutant equivalent, or None; `mutated_line()` is the mutated
    line's text (computed only for an entry of this file, line and operator)."""
    for entry in entries:
        if (pathlib.PurePath(entry["file"]) == pathlib.PurePath(module_path) and entry["operator"] == operator
                and entry["line"] == line and " ".join(mutated_line().split()) == " ".join(entry["mutant"].split())):
            return entry
    return None
