"""The results file: ``{"backend", "versions", "case_files", "results": [{"id", ...}],
"paths": {"builtin": [{"id", ...}]}}``: ``results`` holds the fast path, ``paths`` the others.

A backend that could not run writes ``{"backend", "versions", "skipped": reason}`` instead
of results, so that `compare` reports it as skipped rather than silently leaving it out.

An array field is a nested list up to COMPACT_ELEMENTS elements; past that, its bytes,
deflated: ``{"dtype": "<f4", "shape": [...], "zlib_base64": "..."}`` (little-endian, C
order; the large built-in cases compute small integers, which deflate to a few bits each). `compare` decodes one field at a time, as it judges it, so it
never holds every backend's decoded copy of a large case at once.

A file that is missing, truncated, not JSON or not a results document is a
ResultsFileError naming the file and the problem; so is every field of a results document
that is not what `run` or `check` writes (`read` validates each before any is used, naming
the file, the column, the case and the field), a compact array that would inflate past
`spec.caps.INFLATED_BYTES` (it is never inflated further), a result id twice in one column,
``not_applicable`` in a file that `check` did not write (its versions name the "target"),
and, in `read_all`, two files of one backend.
"""

import base64
import binascii
import json
import math
import numbers
import pathlib
import platform
import zlib

import numpy as np

from convsuite.spec import caps, cases

COMPACT_ELEMENTS = 4096
COMPACT_FIELDS = {"dtype", "shape", "zlib_base64"}
# A result's fields: its id, then what `run` writes (its op's outputs, or the error it
# raised) or what `check` also writes (not_applicable, where the target takes no such case).
OUTPUT_FIELDS = frozenset(field for fields in cases.OUTPUTS.values() for field in fields)
# Outputs have rank 4 at most (`spec.contract`): deeper nesting is no result of ours.
MAX_RANK = 4


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


def _compact_layout(value):
    """(dtype, shape, bytes) of a compact array, every field checked, its inflated size
    within spec.caps.INFLATED_BYTES; ValueError naming the problem."""
    if set(value) != COMPACT_FIELDS:
        raise ValueError(f"a compact array has exactly the fields {sorted(COMPACT_FIELDS)}, got {sorted(value)}")
    shape, text = value["shape"], value["zlib_base64"]
    if not (isinstance(value["dtype"], str) and isinstance(text, str) and isinstance(shape, list)
            and len(shape) <= MAX_RANK and all(_is_integer(n) and n >= 0 for n in shape)):
        raise ValueError('a compact array is {"dtype": str, "shape": [sizes, at most 4], "zlib_base64": str}')
    try:
        dtype = np.dtype(value["dtype"])
    except TypeError:
        raise ValueError(f"a compact array's dtype {value['dtype']!r} is not a dtype") from None
    if dtype.kind not in "fiu" or dtype.byteorder == ">":
        raise ValueError(f"a compact array holds little-endian numbers, not {value['dtype']!r}")
    nbytes = math.prod(shape) * dtype.itemsize
    caps.inflated("the compact array", nbytes)
    return dtype, tuple(shape), nbytes


def _inflate(text, nbytes):
    """The bytes of a compact array, inflated no further than one byte past `nbytes`: a zlib
    bomb stops there, at most spec.caps.INFLATED_BYTES (checked by the caller)."""
    try:
        data = zlib.decompressobj().decompress(base64.b64decode(text, validate=True), nbytes + 1)
    except (binascii.Error, zlib.error) as exc:
        raise ValueError(f"a compact array's zlib_base64 does not decode ({exc})") from None
    if len(data) != nbytes:
        raise ValueError(f"a compact array's bytes inflate to {'more' if len(data) > nbytes else len(data)} "
                         f"bytes, its dtype and shape take {nbytes}")
    return data


def decode(value):
    """A result field as a float64 array, from either form."""
    if isinstance(value, dict):
        dtype, shape, nbytes = _compact_layout(value)
        return np.frombuffer(_inflate(value["zlib_base64"], nbytes), dtype=dtype).reshape(shape).astype(np.float64)
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


def _is_integer(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _is_number(value):
    """A JSON number that is a float64 (true and false are not; nor an integer past it)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    try:
        float(value)
    except OverflowError:
        return False
    return True


def _check_nested(value):
    """A number, or a rectangular nested list of numbers of rank MAX_RANK at most, checked
    level by level (no recursion: a hostile file may nest deeply); ValueError otherwise."""
    level, rank = [value], 0
    while any(isinstance(v, list) for v in level):
        if not all(isinstance(v, list) for v in level) or len({len(v) for v in level}) > 1:
            raise ValueError("a ragged nested list (rows of different shapes)")
        rank += 1
        if rank > MAX_RANK:
            raise ValueError(f"nested deeper than rank {MAX_RANK}")
        level = [item for v in level for item in v]
    strange = next((v for v in level if not _is_number(v)), None)
    if strange is not None:
        raise ValueError(f"holds {strange!r} where a number belongs")


def _check_result(result, column):
    """One result of a column: {"id"} and one of its outputs, an error or not_applicable."""
    if not isinstance(result, dict) or not isinstance(result.get("id"), str) or not result["id"]:
        raise ValueError(f'{column}: a result is {{"id": str, ...}}, got {str(result)[:80]}')
    where = f"{column}, case {result['id']}"
    unknown = sorted(set(result) - OUTPUT_FIELDS - {"id", "error", "not_applicable"})
    if unknown:
        raise ValueError(f"{where}: unknown fields {unknown}; a result holds {sorted(OUTPUT_FIELDS)}, "
                         "error or not_applicable")
    kinds = [kind for kind in ("error", "not_applicable") if kind in result]
    if kinds and len(result) > 2:
        raise ValueError(f"{where}: {kinds[0]} stands alone: a result holds outputs, an error or not_applicable")
    if "error" in result:
        error = result["error"]
        if not (isinstance(error, dict) and isinstance(error.get("type"), str) and error["type"]
                and isinstance(error.get("message"), str)):
            raise ValueError(f'{where}, error: is {{"type": str, "message": str}}, got {str(error)[:80]}')
    if "not_applicable" in result and not isinstance(result["not_applicable"], str):
        raise ValueError(f"{where}, not_applicable: is the reason, a string, got {result['not_applicable']!r}")
    for field in sorted(set(result) & OUTPUT_FIELDS):
        try:
            if isinstance(result[field], dict):
                decode(result[field])  # its layout first: nothing past the cap is inflated
            else:
                _check_nested(result[field])
        except ValueError as exc:
            raise ValueError(f"{where}, {field}: {exc}") from None


def _check_document(document):
    """Every field of a results document, before any is used; ValueError naming it."""
    backend = document["backend"]
    if not isinstance(backend, str) or not backend or not backend.isprintable() or ":" in backend:
        raise ValueError(f"backend must be a name (a printable string without ':'), got {str(backend)[:80]}")
    if "results" in document and "skipped" in document:
        raise ValueError("has both 'results' and 'skipped'")
    if "skipped" in document and not isinstance(document["skipped"], str):
        raise ValueError(f"skipped must be the reason, a string, got {str(document['skipped'])[:80]}")
    versions = document.get("versions", {})
    if not isinstance(versions, dict) or not all(isinstance(v, str) for v in versions.values()):
        raise ValueError(f"versions must map names to version strings, got {str(versions)[:80]}")
    files = document.get("case_files", [])
    if not isinstance(files, list) or not all(isinstance(f, str) for f in files):
        raise ValueError(f"case_files must be a list of file names, got {str(files)[:80]}")
    if "skipped" in document:
        return
    from convsuite.conformance.harness.runner import PATHS  # here: runner imports this module

    paths = document.get("paths", {})
    if not isinstance(paths, dict) or not set(paths) <= set(PATHS) - {"fast"}:
        raise ValueError(f"paths must map {sorted(set(PATHS) - {'fast'})} to lists of results, got {str(paths)[:80]}")
    for column, _, results in columns(document):
        if not isinstance(results, list):
            raise ValueError(f"the results of {column} are not a list of {{\"id\", ...}}")
        ids = set()
        for result in results:
            _check_result(result, column)
            if result["id"] in ids:
                raise ValueError(f"{column}: two results of case {result['id']}")
            ids.add(result["id"])
            if "not_applicable" in result and "target" not in versions:
                raise ValueError(f"{column}, case {result['id']}: not_applicable, but `check` did not write this "
                                 "file (its versions name no target)")


def read(path):
    try:
        document = json.loads(pathlib.Path(path).read_bytes().decode("utf-8"))
    except FileNotFoundError:
        raise ResultsFileError(f"{path}: no such results file") from None
    except OSError as exc:
        raise ResultsFileError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    except RecursionError:
        raise ResultsFileError(f"{path}: not JSON, or cut short (nested too deeply)") from None
    except ValueError as exc:  # not UTF-8, not JSON, an integer past Python's digit limit
        raise ResultsFileError(f"{path}: not JSON, or cut short ({exc})") from None
    if not isinstance(document, dict) or "backend" not in document:
        raise ResultsFileError(f"{path}: not a convsuite results file (no 'backend')")
    if "results" not in document and "skipped" not in document:
        raise ResultsFileError(f"{path}: has neither 'results' nor 'skipped'")
    try:
        _check_document(document)
    except ValueError as exc:
        raise ResultsFileError(f"{path}: {exc}") from None
    return document


def read_all(paths):
    """The documents of several results files, one backend each: a second file of a backend
    would silently replace the first's columns."""
    documents, files = [], {}
    for path in paths:
        document = read(path)
        name = document["backend"]
        if name in files:
            raise ResultsFileError(f"{path}: backend {name!r} again: also in {files[name]}")
        files[name] = path
        documents.append(document)
    return documents


def columns(document):
    """(column name, path, results) per path of a results document: the fast path is
    named after the backend ("torch"), the others after both ("torch:builtin")."""
    name = document["backend"]
    if "skipped" in document:
        return
    yield name, "fast", document["results"]
    for path, results in document.get("paths", {}).items():
        yield f"{name}:{path}", path, results
