"""The results file: ``{"backend", "versions", "case_files", "results": [{"id", ...}],
"paths": {"builtin": [{"id", ...}]}}``: ``results`` holds the fast path, ``paths`` the others.

A backend that could not run writes ``{"backend", "versions", "skipped": reason}`` instead
of results, so that `compare` reports it as skipped rather than silently leaving it out.

An array field is a nested list up to COMPACT_ELEMENTS elements; past that, its bytes,
deflated: ``{"dtype": "<f4", "shape": [...], "zlib_base64": "..."}`` (little-endian, C
order; the large built-in cases compute small integers, which deflate to a few bits each). `compare` decodes one field at a time, as it judges it, so it
never holds every backend's decoded copy of a large case at once.

A file that is missing, truncated, not JSON or not a results document is a
ResultsFileError naming the file and the problem.
"""

import base64
import json
import pathlib
import platform
import zlib

import numpy as np

COMPACT_ELEMENTS = 4096
COMPACT_FIELDS = {"dtype", "shape", "zlib_base64"}


class ResultsFileError(ValueError):
    """A results file that cannot be read: the message names the file and the problem."""


def encode(array):
    """A result array as the file holds it: a nested list, or its bytes past COMPACT_ELEMENTS."""
    array = np.asarray(array)
    if array.size <= COMPACT_ELEMENTS:
        return array.tolist()
    little = np.ascontiguousarray(array, dtype=array.dtype.newbyteorder("<"))
    deflated = zlib.compress(little.tobytes(), 1)  # level 1: most of the gain, little of the time
    return {"dtype": little.dtype.str, "shape": list(array.shape),
            "zlib_base64": base64.b64encode(deflated).decode("ascii")}


def decode(value):
    """A result field as a float64 array, from either form."""
    if isinstance(value, dict):
        if set(value) != COMPACT_FIELDS:
            raise ValueError(f"a compact array has exactly the fields {sorted(COMPACT_FIELDS)}, got {sorted(value)}")
        data = zlib.decompress(base64.b64decode(value["zlib_base64"], validate=True))
        data = np.frombuffer(data, dtype=np.dtype(value["dtype"]))
        if data.size != int(np.prod(value["shape"], dtype=np.int64)):
            raise ValueError(f"a compact array of shape {value['shape']} holds {data.size} elements")
        return data.reshape(value["shape"]).astype(np.float64)
    return np.asarray(value, np.float64)


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
    try:
        document = json.loads(pathlib.Path(path).read_text())
    except FileNotFoundError:
        raise ResultsFileError(f"{path}: no such results file") from None
    except OSError as exc:
        raise ResultsFileError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ResultsFileError(f"{path}: not JSON, or cut short ({exc})") from None
    if not isinstance(document, dict) or "backend" not in document:
        raise ResultsFileError(f"{path}: not a convsuite results file (no 'backend')")
    if "results" not in document and "skipped" not in document:
        raise ResultsFileError(f"{path}: has neither 'results' nor 'skipped'")
    for column, _, results in columns(document):
        if not isinstance(results, list) or not all(isinstance(r, dict) and isinstance(r.get("id"), str)
                                                    for r in results):
            raise ResultsFileError(f"{path}: the results of {column} are not a list of {{\"id\", ...}}")
        for result in results:
            for field, value in result.items():
                if isinstance(value, dict) and field != "error":
                    try:
                        decode(value)
                    except (ValueError, TypeError, KeyError, zlib.error) as exc:
                        raise ResultsFileError(f"{path}: {column}, case {result['id']}, {field}: {exc}") from None
    return document


def columns(document):
    """(column name, path, results) per path of a results document: the fast path is
    named after the backend ("torch"), the others after both ("torch:builtin")."""
    name = document["backend"]
    if "skipped" in document:
        return
    yield name, "fast", document["results"]
    for path, results in document.get("paths", {}).items():
        yield f"{name}:{path}", path, results
