"""The results file: ``{"backend", "versions", "case_files", "results": [{"id", ...}],
"paths": {"builtin": [{"id", ...}]}}``: ``results`` holds the fast path, ``paths`` the others.

A backend that could not run writes ``{"backend", "versions", "skipped": reason}`` instead
of results, so that `compare` reports it as skipped rather than silently leaving it out.
"""

import json
import pathlib
import platform

import numpy as np


def versions(backend_versions):
    return {**backend_versions, "numpy": np.__version__, "python": platform.python_version()}


def write(path, backend_name, backend_versions, case_files, runs=None, skipped=None):
    document = {
        "backend": backend_name,
        "versions": versions(backend_versions),
        "case_files": [str(p) for p in case_files],
    }
    if skipped is not None:
        document["skipped"] = skipped
    else:
        document.update(runs)
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # NaN and Infinity stay readable (Python's json writes and reads them).
    path.write_text(json.dumps(document, indent=1) + "\n")


def read(path):
    document = json.loads(pathlib.Path(path).read_text())
    if not isinstance(document, dict) or "backend" not in document:
        raise ValueError(f"{path}: not a convsuite results file (no 'backend')")
    if "results" not in document and "skipped" not in document:
        raise ValueError(f"{path}: has neither 'results' nor 'skipped'")
    return document


def columns(document):
    """(column name, path, results) per path of a results document: the fast path is
    named after the backend ("torch"), the others after both ("torch:builtin")."""
    name = document["backend"]
    yield name, "fast", document["results"]
    for path, results in document.get("paths", {}).items():
        yield f"{name}:{path}", path, results
