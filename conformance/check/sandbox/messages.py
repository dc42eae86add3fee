"""Every message from a child, checked before the parent uses any of it.

The user's code runs in the child's process and can write to its message pipe (found with
`gc`, or by its descriptor number) with the child's own token. So every message is checked
here against the protocol (`conformance.check.child.protocol.MESSAGES`) and the fields' types,
sizes and ranges; a result's values must be numbers (never booleans or strings) in the shape
it claims, and may only answer the call the child announced. Anything else raises `Corrupt`,
which ends that target with the verdict "the submission corrupted its channel": never an
exception in the parent, and nothing of the other targets changes.
"""

import base64
import binascii
import math

import numpy as np

from convsuite.conformance.check.child.protocol import MESSAGES
from convsuite.conformance.check.child.roles import ROLES

MAX_TEXT = 20_000
MAX_ITEMS = 10_000
MAX_ELEMENTS = 1 << 24
FORMS = {"none", "list", "tensor", "ndarray", "scalar", "other"}
PARAMETER_KINDS = {"POSITIONAL_ONLY", "POSITIONAL_OR_KEYWORD", "VAR_POSITIONAL", "KEYWORD_ONLY", "VAR_KEYWORD"}
LAYER_PROBLEMS = {"weight-shape", "bias-shape", "no-weight", "not-a-parameter", "cannot-set"}


class Corrupt(ValueError):
    """A message that does not follow the protocol: what is wrong with it."""


def _text(value, what, optional=False):
    if optional and value is None:
        return value
    if not isinstance(value, str) or len(value) > MAX_TEXT:
        raise Corrupt(f"{what} is not text")
    return value


def _integer(value, what, low=0, high=None):
    if type(value) is not int or value < low or (high is not None and value >= high):
        raise Corrupt(f"{what} is not an integer in range")
    return value


def _list(value, what, item):
    if not isinstance(value, list) or len(value) > MAX_ITEMS:
        raise Corrupt(f"{what} is not a list")
    for index, element in enumerate(value):
        item(element, f"{what}[{index}]")
    return value


def _record(value, what, required, optional=()):
    if not isinstance(value, dict):
        raise Corrupt(f"{what} is not an object")
    keys = set(value)
    if not set(required) <= keys or not keys <= set(required) | set(optional):
        raise Corrupt(f"{what} has the fields {sorted(keys)}")
    return value


def _shape(value, what):
    _list(value, what, lambda n, w: _integer(n, w, 0, MAX_ELEMENTS + 1))
    if math.prod(value) > MAX_ELEMENTS or len(value) > 8:
        raise Corrupt(f"{what} is too large")
    return value


def _numbers(values, shape, what):
    if not shape:
        if type(values) not in (int, float):
            raise Corrupt(f"{what} holds {type(values).__name__} where a number belongs")
        return
    if not isinstance(values, list) or len(values) != shape[0]:
        raise Corrupt(f"{what} does not have the shape it claims")
    for element in values:
        _numbers(element, shape[1:], what)


def error(value, what="error"):
    _record(value, what, {"type", "message", "where", "code"}, {"missing", "install", "via"})
    _text(value["type"], f"{what}.type")
    _text(value["message"], f"{what}.message")
    for key in ("where", "code", "via"):
        _text(value.get(key), f"{what}.{key}", optional=True)
    for key in ("missing", "install"):
        if key in value:
            _text(value[key], f"{what}.{key}")
    return value


def description(value, what):
    _record(value, what, {"form", "type"}, {"dtype", "shape", "values", "unreadable"})
    if value["form"] not in FORMS:
        raise Corrupt(f"{what}.form is {str(value['form'])[:40]!r}")
    _text(value["type"], f"{what}.type")
    if "unreadable" in value:
        _text(value["unreadable"], f"{what}.unreadable")
    elif value["form"] != "none":
        _record(value, what, {"form", "type", "dtype", "shape", "values"})
        _text(value["dtype"], f"{what}.dtype")
        _numbers(value["values"], _shape(value["shape"], f"{what}.shape"), f"{what}.values")
    return value


def _maybe_shape(value, what):
    return value if value is None else _shape(value, what)


def _maybe_bool(value, what):
    if value is not None and type(value) is not bool:
        raise Corrupt(f"{what} is not true, false or null")


def _problem(value, what):
    if value not in LAYER_PROBLEMS:
        raise Corrupt(f"{what} is unknown")


LAYER_FIELDS = {
    "kernel_size": _shape, "notes": lambda v, w: _list(v, w, _text), "weight_shape": _maybe_shape,
    "bias_shape": _maybe_shape, "weight_name": lambda v, w: _text(v, w, True),
    "bias_name": lambda v, w: _text(v, w, True), "weight_type": _text, "bias_type": _text,
    "registered": _maybe_bool, "bias_registered": _maybe_bool,
    "problem": _problem,
}


def _extra(value, what):
    _record(value, what, set(), set(LAYER_FIELDS))
    for key, item in value.items():
        LAYER_FIELDS[key](item, f"{what}.{key}")


def _subject(value, what):
    _record(value, what, {"name", "role", "kind", "params", "found"})
    if not _text(value["name"], f"{what}.name").isidentifier() or value["role"] not in ROLES:
        raise Corrupt(f"{what} names no role of check's")
    if value["kind"] not in ("class", "function"):
        raise Corrupt(f"{what}.kind is unknown")
    _text(value["found"], f"{what}.found")

    def parameter(p, w):
        _record(p, w, {"name", "kind", "default"})
        if not _text(p["name"], f"{w}.name").isidentifier() or p["kind"] not in PARAMETER_KINDS \
                or type(p["default"]) is not bool:
            raise Corrupt(f"{w} is not a parameter")
    _list(value["params"], f"{what}.params", parameter)


def _cell(value, what):
    _record(value, what, {"label", "filename", "first_line"})
    _text(value["label"], f"{what}.label")
    _text(value["filename"], f"{what}.filename")
    _integer(value["first_line"], f"{what}.first_line")


def _loop(value, what):
    _record(value, what, {"where", "code"})
    _text(value["where"], f"{what}.where")
    _text(value["code"], f"{what}.code")


VALUE_KINDS = {"none", "shape", "tuple", "text", "array", "large"}
MAX_SHOWN = 1 << 20  # elements of an array a chapter's cell shows (child/values.py sends no more)


def _dtype(value, what):
    try:
        dtype = np.dtype(_text(value, what))
    except TypeError:
        raise Corrupt(f"{what} is not a dtype") from None
    if dtype.kind not in "biufc" or dtype.hasobject:
        raise Corrupt(f"{what} is not a dtype of numbers")
    return dtype


def shown(value, what="value", depth=0):
    """A cell's value as `tabs`' child describes it (child/values.py)."""
    if not isinstance(value, dict) or value.get("kind") not in VALUE_KINDS:
        raise Corrupt(f"{what} is not a value")
    fields = {"none": set(), "shape": {"dims"}, "tuple": {"items"}, "text": {"text"}, "array": {"array"},
              "large": {"dtype", "shape"}}[value["kind"]]
    _record(value, what, {"kind", "type"} | fields)
    _text(value["type"], f"{what}.type")
    kind = value["kind"]
    if kind == "shape":
        _list(value["dims"], f"{what}.dims", lambda d, w: d is None or _integer(d, w))
    elif kind == "tuple":
        if depth >= 3 or len(value["items"]) > 16:
            raise Corrupt(f"{what} is nested too deep or too long")
        _list(value["items"], f"{what}.items", lambda v, w: shown(v, w, depth + 1))
    elif kind == "text":
        _text(value["text"], f"{what}.text")
    elif kind == "large":
        _dtype(value["dtype"], f"{what}.dtype")
        _shape(value["shape"], f"{what}.shape")
    elif kind == "array":
        array = _record(value["array"], f"{what}.array", {"dtype", "shape", "bytes"})
        dtype = _dtype(array["dtype"], f"{what}.array.dtype")
        shape = _shape(array["shape"], f"{what}.array.shape")
        if math.prod(shape) > MAX_SHOWN or not isinstance(array["bytes"], str):
            raise Corrupt(f"{what}.array is too large")
        try:
            size = len(base64.b64decode(array["bytes"], validate=True))
        except (binascii.Error, ValueError):
            raise Corrupt(f"{what}.array.bytes is not base64") from None
        if size != math.prod(shape) * dtype.itemsize:
            raise Corrupt(f"{what}.array does not have the shape it claims")
    return value


class Checker:
    """The messages of one child, in order: each is checked against what came before it."""

    def __init__(self, cells=0):
        self.cells, self.calls, self.current = cells, None, None

    def check(self, message):
        if not isinstance(message, dict) or message.get("t") not in MESSAGES:
            raise Corrupt(f"a message of an unknown kind ({str(message)[:80]})")
        kind = message["t"]
        required, optional = MESSAGES[kind]
        _record(message, kind, required | {"t"}, optional)
        getattr(self, "_" + kind.replace("-", "_"))(message)
        return message

    def _cells(self, m):
        _text(m["tab"], "cells.tab", optional=True)
        _list(m["cells"], "cells.cells", _cell)
        self.cells = len(m["cells"])

    def _input_error(self, m):
        _text(m["message"], "input-error.message")

    def _environment_error(self, m):
        _text(m["module"], "environment-error.module")
        _text(m["message"], "environment-error.message")

    def _cell(self, m):
        _integer(m["index"], "cell.index", 0, self.cells)

    def _cell_error(self, m):
        _integer(m["index"], "cell-error.index", 0, self.cells)
        error(m["error"], "cell-error.error")

    def _loaded(self, m):
        _list(m["subjects"], "loaded.subjects", _subject)
        if len({s["name"] for s in m["subjects"]}) != len(m["subjects"]):
            raise Corrupt("loaded.subjects names one twice")
        for key in ("notes", "missing"):
            _list(m[key], f"loaded.{key}", _text)
        _list(m["loops"], "loaded.loops", _loop)
        _record(m["versions"], "loaded.versions", set(), set(m["versions"]))
        for key, value in m["versions"].items():
            _text(key, "loaded.versions")
            _text(value, f"loaded.versions.{key}")

    def expect_calls(self, indices):
        self.calls = set(indices)

    def _start(self, m):
        if self.calls is None or m["i"] not in self.calls or self.current is not None:
            raise Corrupt("a call started that was not sent, or before the last one ended")
        self.current = m["i"]

    def _result(self, m):
        if m["i"] != self.current:
            raise Corrupt("a result for a call that is not running")
        if ("error" in m) == ("outputs" in m):
            raise Corrupt("a result with both outputs and an error, or neither")
        if "error" in m:
            error(m["error"], "result.error")
        else:
            _record(m["outputs"], "result.outputs", set(), {"Y", "K", "bias", "losses"})
            for key, value in m["outputs"].items():
                description(value, f"result.outputs.{key}")
            _extra(m.get("extra", {}), "result.extra")
        self.calls.discard(self.current)
        self.current = None

    def _value(self, m):
        _integer(m["index"], "value.index", 0, self.cells)
        shown(m["value"], "value.value")
        _text(m["printed"], "value.printed")
        if "error" in m:
            error(m["error"], "value.error")

    def _done(self, m):
        if self.current is not None:
            raise Corrupt("done while a call was running")
