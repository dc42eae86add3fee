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
import os
import pathlib
import platform
import zlib
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, NotRequired, Required, TypeAlias, TypedDict

import numpy as np
from numpy.typing import ArrayLike, NDArray

from convsuite.spec import caps, cases

COMPACT_ELEMENTS = 4096
COMPACT_FIELDS = {"dtype", "shape", "zlib_base64"}
# A result's fields: its id, then what `run` writes (its op's outputs, or the error it
# raised) or what `check` also writes (not_applicable, where the target takes no such case).
OUTPUT_FIELDS = frozenset(field for fields in cases.OUTPUTS.values() for field in fields)
# Outputs have rank 4 at most (`spec.contract`): deeper nesting is no result of ours.
MAX_RANK = 4


class ErrorInfo(TypedDict):
    """The exception a case raised: its type's name and its message."""

    type: str
    message: str


class CompactArray(TypedDict):
    """An array past COMPACT_ELEMENTS: its little-endian bytes, deflated."""

    dtype: str
    shape: list[int]
    zlib_base64: str


# An output as the file holds it: a nested list (a number at rank 0), or a CompactArray.
Encoded: TypeAlias = list[Any] | float | CompactArray


class Result(TypedDict, total=False):
    """One case's entry in a results file: {"id", its op's outputs (OUTPUT_FIELDS)}, or
    {"id", "error"}, or (written by `check`) {"id", "not_applicable": why}."""

    id: Required[str]
    error: ErrorInfo
    not_applicable: str
    Y: Encoded
    dX: Encoded
    dK: Encoded
    db: Encoded
    losses: Encoded
    K: Encoded
    bias: Encoded


class Runs(TypedDict):
    """A backend's results, path by path: the fast path's, then {path: results} of the others
    (`check` writes one path, the fast one)."""

    results: list[Result]
    paths: NotRequired[dict[str, list[Result]]]


class Document(TypedDict, total=False):
    """A results file: a backend's Runs, or the reason it was skipped."""

    backend: Required[str]
    versions: dict[str, str]
    case_files: list[str]
    results: list[Result]
    paths: dict[str, list[Result]]
    skipped: str


def error_result(case_id: str, exc: BaseException) -> Result:
    """The result of a case that raised `exc`."""
    return {"id": case_id, "error": {"type": type(exc).__name__, "message": str(exc)}}


def error_of(result: Mapping[str, object]) -> ErrorInfo | None:
    """The error a result records (`read` has checked its form), else None."""
    error = result.get("error")
    if isinstance(error, dict) and isinstance(error.get("type"), str) and isinstance(error.get("message"), str):
        return ErrorInfo(type=error["type"], message=error["message"])
    return None


def raised(result: Mapping[str, object]) -> str | None:
    """The exception type a result (or a result-like target) records, else None."""
    error = result.get("error")
    if isinstance(error, Mapping):
        kind = error.get("type")
        return kind if isinstance(kind, str) else None
    return error if isinstance(error, str) else None


class ResultsFileError(ValueError):
    """A results file that cannot be read: the message names the file and the problem."""


def encode(array: ArrayLike) -> Encoded:
    """A result array as the file holds it: a nested list, or its bytes past COMPACT_ELEMENTS."""
    array = np.asarray(array)
    if array.size <= COMPACT_ELEMENTS:
        listed: list[Any] | float = array.tolist()
        return listed
    little = np.ascontiguousarray(array, dtype=array.dtype.newbyteorder("<"))
    deflated = zlib.compress(little.tobytes(), 1)  # level 1: most of the gain, little of the time
    return {"dtype": little.dtype.str, "shape": list(array.shape),
            "zlib_base64": base64.b64encode(deflated).decode("ascii")}


def _compact_layout(value: Mapping[str, Any]) -> tuple[np.dtype[Any], tuple[int, ...], int]:
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


def _inflate(text: str, nbytes: int) -> bytes:
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


def decode(value: object) -> NDArray[np.float64]:
    """A result field as a float64 array, from either form (an array as it is, when it
    already is one: the results `compare` decoded once)."""
    if isinstance(value, dict):
        dtype, shape, nbytes = _compact_layout(value)
        return np.frombuffer(_inflate(value["zlib_base64"], nbytes), dtype=dtype).reshape(shape).astype(np.float64)
    return np.asarray(value, np.float64)


def _with_platform(versions: Mapping[str, str]) -> dict[str, str]:
    """A backend's versions, and those of NumPy and Python that wrote its results."""
    return {**versions, "numpy": np.__version__, "python": platform.python_version()}


def write(path: str | os.PathLike[str], backend: str, *, versions: Mapping[str, str],
          case_files: Iterable[str | os.PathLike[str]], runs: Runs | None = None, skipped: str | None = None) -> None:
    """Write a backend's `runs` (or the reason it was `skipped`) as its results file."""
    document: Document = {
        "backend": backend,
        "versions": _with_platform(versions),
        "case_files": [str(p) for p in case_files],
    }
    if skipped is not None:
        document["skipped"] = skipped
    elif runs is not None:
        document["results"] = runs["results"]
        if "paths" in runs:
            document["paths"] = runs["paths"]
    else:
        raise ValueError("a results file holds runs or the reason the backend was skipped")
    path = pathlib.Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # NaN and Infinity stay readable (Python's json writes and reads them).
    path.write_text(json.dumps(document, indent=1) + "\n")


def _is_integer(value: object) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _is_number(value: object) -> bool:
    """A JSON number that is a float64 (true and false are not; nor an integer past it)."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return False
    try:
        float(value)
    except OverflowError:
        return False
    return True


def _check_nested(value: object) -> None:
    """A number, or a rectangular nested list of numbers of rank MAX_RANK at most, checked
    level by level (no recursion: a hostile file may nest deeply); ValueError otherwise."""
    level, rank = [value], 0
    while any(isinstance(v, list) for v in level):
        if not all(isinstance(v, list) for v in level) or len({len(v) for v in level if isinstance(v, list)}) > 1:
            raise ValueError("a ragged nested list (rows of different shapes)")
        rank += 1
        if rank > MAX_RANK:
            raise ValueError(f"nested deeper than rank {MAX_RANK}")
        level = [item for v in level if isinstance(v, list) for item in v]
    strange = next((v for v in level if not _is_number(v)), None)
    if strange is not None:
        raise ValueError(f"holds {strange!r} where a number belongs")


def _check_result(result: object, column: str) -> None:
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


def _check_document(document: dict[str, Any]) -> None:
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
    for column, _, results in columns(document):  # type: ignore[arg-type]  # checked field by field here
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


def read(path: str | os.PathLike[str]) -> Document:
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
    if not isinstance(document, dict) or "backend" not in document:  # JSON: an object is a dict
        raise ResultsFileError(f"{path}: not a convsuite results file (no 'backend')")
    if "results" not in document and "skipped" not in document:
        raise ResultsFileError(f"{path}: has neither 'results' nor 'skipped'")
    try:
        _check_document(document)
    except ValueError as exc:
        raise ResultsFileError(f"{path}: {exc}") from None
    checked: Document = document  # type: ignore[assignment]  # every field checked above
    return checked


def read_all(paths: Iterable[str | os.PathLike[str]]) -> list[Document]:
    """The documents of several results files, one backend each: a second file of a backend
    would silently replace the first's columns."""
    documents: list[Document] = []
    files: dict[str, str | os.PathLike[str]] = {}
    for path in paths:
        document = read(path)
        name = document["backend"]
        if name in files:
            raise ResultsFileError(f"{path}: backend {name!r} again: also in {files[name]}")
        files[name] = path
        documents.append(document)
    return documents


def columns(document: Document) -> Iterator[tuple[str, str, list[Result]]]:
    """(column name, path, results) per path of a results document: the fast path is
    named after the backend ("torch"), the others after both ("torch:builtin")."""
    name = document["backend"]
    if "skipped" in document:
        return
    yield name, "fast", document["results"]
    for path, results in document.get("paths", {}).items():
        yield f"{name}:{path}", path, results
