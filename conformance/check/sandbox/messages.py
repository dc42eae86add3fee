"""Every message from a child, checked before the parent uses any of it, and its type once
checked.

The user's code runs in the child's process and can write to its message pipe (found with
`gc`, or by its descriptor number) with the child's own token. So every message is checked
here against the protocol (`conformance.check.child.protocol.MESSAGES`) and the fields' types,
sizes and ranges; a result's values must be numbers (never booleans or strings) in the shape
it claims, and may only answer the call the child announced. Anything else raises `Corrupt`,
which ends that target with the verdict "the submission corrupted its channel": never an
exception in the parent, and nothing of the other targets changes.

The TypedDicts below are the messages as they are on the wire (JSON): `Checker.check` takes
untrusted data and returns a `Message`, so that the parent reads each field once checked, by
its type, and never checks it again.
"""

import base64
import binascii
import math
from collections.abc import Callable, Collection, Iterable
from typing import Any, Literal, NotRequired, TypedDict, cast, final

import numpy as np

from convsuite.conformance.check.child.protocol import MESSAGES
from convsuite.conformance.check.child.roles import ROLES

MAX_TEXT = 20_000
MAX_ITEMS = 10_000
MAX_ELEMENTS = 1 << 24
FORMS = {"none", "list", "tensor", "ndarray", "scalar", "other"}
PARAMETER_KINDS = {"POSITIONAL_ONLY", "POSITIONAL_OR_KEYWORD", "VAR_POSITIONAL", "KEYWORD_ONLY", "VAR_KEYWORD"}
LAYER_PROBLEMS = {"weight-shape", "bias-shape", "no-weight", "not-a-parameter", "cannot-set"}


# --- the messages, as the wire holds them once checked --------------------------------------

class ErrorInfo(TypedDict):
    """An exception the user's code raised, described by the child."""
    type: str
    message: str
    where: str | None
    code: str | None
    missing: NotRequired[str]  # a module the environment lacks, and how to add it
    install: NotRequired[str]
    via: NotRequired[str | None]


class Description(TypedDict):
    """What a call returned for one output field (child/calls.py): `form` "none" holds no
    more; "unreadable" where it holds no numbers; else dtype, shape and the values."""
    form: str
    type: str
    dtype: NotRequired[str]
    shape: NotRequired[list[int]]
    values: NotRequired[Any]  # nested lists of numbers in `shape` (a number for shape [])
    unreadable: NotRequired[str]


class LayerInfo(TypedDict, total=False):
    """A layer's structure as the child found it (child/layers.py); `problem` where it is wrong."""
    kernel_size: list[int]
    notes: list[str]
    weight_shape: list[int] | None
    bias_shape: list[int] | None
    weight_name: str | None
    bias_name: str | None
    weight_type: str
    bias_type: str
    registered: bool | None
    bias_registered: bool | None
    problem: str


class Parameter(TypedDict):
    name: str
    kind: str  # inspect.Parameter's kind, by name
    default: bool  # whether it has a default


class Subject(TypedDict):
    """A function or class of the target that plays one of check's roles."""
    name: str
    role: str
    kind: Literal["class", "function"]
    params: list[Parameter]
    found: str  # how it was found, in words


class Cell(TypedDict):
    label: str
    filename: str
    first_line: int


class Loop(TypedDict):
    """A learning script (run, not checked)."""
    where: str
    code: str


class EncodedArray(TypedDict):
    dtype: str
    shape: list[int]
    bytes: str  # base64


class ShownValue(TypedDict):
    """A cell's value as `tabs`' child describes it (child/values.py)."""
    kind: Literal["none", "shape", "tuple", "text", "array", "large"]
    type: str
    dims: NotRequired[list[int | None]]
    items: NotRequired[list["ShownValue"]]
    text: NotRequired[str]
    array: NotRequired[EncodedArray]
    dtype: NotRequired[str]
    shape: NotRequired[list[int]]


class CellsMessage(TypedDict):
    t: Literal["cells"]
    tab: str | None
    cells: list[Cell]


class InputErrorMessage(TypedDict):
    t: Literal["input-error"]
    message: str


class EnvironmentErrorMessage(TypedDict):
    t: Literal["environment-error"]
    module: str
    message: str


class CellMessage(TypedDict):
    t: Literal["cell"]
    index: int


class CellErrorMessage(TypedDict):
    t: Literal["cell-error"]
    index: int
    error: ErrorInfo


class LoadedMessage(TypedDict):
    t: Literal["loaded"]
    subjects: list[Subject]
    notes: list[str]
    missing: list[str]
    loops: list[Loop]
    versions: dict[str, str]


class StartMessage(TypedDict):
    t: Literal["start"]
    i: int


@final  # so that `"event" in outcome` tells it from a supervise.CallEvent
class ResultMessage(TypedDict):
    """A call's result: its outputs (and a layer's structure), or the error it raised."""
    t: Literal["result"]
    i: int
    outputs: NotRequired[dict[str, Description]]
    extra: NotRequired[LayerInfo]
    error: NotRequired[ErrorInfo]


class ValueMessage(TypedDict):
    t: Literal["value"]
    index: int
    value: ShownValue
    printed: str
    error: NotRequired[ErrorInfo]


class DoneMessage(TypedDict):
    t: Literal["done"]


Message = (CellsMessage | InputErrorMessage | EnvironmentErrorMessage | CellMessage | CellErrorMessage
           | LoadedMessage | StartMessage | ResultMessage | ValueMessage | DoneMessage)


class Corrupt(ValueError):
    """A message that does not follow the protocol: what is wrong with it."""


# --- checking untrusted data ------------------------------------------------------------------

def _text(value: object, what: str, optional: bool = False) -> str | None:
    if optional and value is None:
        return None
    if not isinstance(value, str) or len(value) > MAX_TEXT:
        raise Corrupt(f"{what} is not text")
    return value


def _integer(value: object, what: str, *, low: int = 0, high: int | None = None) -> int:
    if type(value) is not int or value < low or (high is not None and value >= high):
        raise Corrupt(f"{what} is not an integer in range")
    return value


def _list(value: object, what: str, item: Callable[[Any, str], object]) -> list[Any]:
    if not isinstance(value, list) or len(value) > MAX_ITEMS:
        raise Corrupt(f"{what} is not a list")
    for index, element in enumerate(value):
        item(element, f"{what}[{index}]")
    return value


def _record(value: object, what: str, required: Collection[str], *,
            optional: Collection[str] = ()) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise Corrupt(f"{what} is not an object")
    keys = set(value)
    if not set(required) <= keys or not keys <= set(required) | set(optional):
        raise Corrupt(f"{what} has the fields {sorted(keys)}")
    return value


def _shape(value: object, what: str) -> list[int]:
    shape = _list(value, what, lambda n, w: _integer(n, w, high=MAX_ELEMENTS + 1))
    if math.prod(shape) > MAX_ELEMENTS or len(shape) > 8:
        raise Corrupt(f"{what} is too large")
    return shape


def _numbers(values: object, shape: list[int], what: str) -> None:
    if not shape:
        if type(values) not in (int, float):
            raise Corrupt(f"{what} holds {type(values).__name__} where a number belongs")
        return
    if not isinstance(values, list) or len(values) != shape[0]:
        raise Corrupt(f"{what} does not have the shape it claims")
    for element in values:
        _numbers(element, shape[1:], what)


def error(value: object, what: str = "error") -> ErrorInfo:
    checked = _record(value, what, {"type", "message", "where", "code"}, optional={"missing", "install", "via"})
    _text(checked["type"], f"{what}.type")
    _text(checked["message"], f"{what}.message")
    for key in ("where", "code", "via"):
        _text(checked.get(key), f"{what}.{key}", optional=True)
    for key in ("missing", "install"):
        if key in checked:
            _text(checked[key], f"{what}.{key}")
    return cast(ErrorInfo, checked)


def description(value: object, what: str) -> Description:
    checked = _record(value, what, {"form", "type"}, optional={"dtype", "shape", "values", "unreadable"})
    if checked["form"] not in FORMS:
        raise Corrupt(f"{what}.form is {str(checked['form'])[:40]!r}")
    _text(checked["type"], f"{what}.type")
    if "unreadable" in checked:
        _text(checked["unreadable"], f"{what}.unreadable")
    elif checked["form"] != "none":
        _record(checked, what, {"form", "type", "dtype", "shape", "values"})
        _text(checked["dtype"], f"{what}.dtype")
        _numbers(checked["values"], _shape(checked["shape"], f"{what}.shape"), f"{what}.values")
    return cast(Description, checked)


def _maybe_shape(value: object, what: str) -> list[int] | None:
    return None if value is None else _shape(value, what)


def _maybe_bool(value: object, what: str) -> None:
    if value is not None and type(value) is not bool:
        raise Corrupt(f"{what} is not true, false or null")


def _problem(value: object, what: str) -> None:
    if value not in LAYER_PROBLEMS:
        raise Corrupt(f"{what} is unknown")


LAYER_FIELDS: dict[str, Callable[[Any, str], object]] = {
    "kernel_size": _shape, "notes": lambda v, w: _list(v, w, _text), "weight_shape": _maybe_shape,
    "bias_shape": _maybe_shape, "weight_name": lambda v, w: _text(v, w, True),
    "bias_name": lambda v, w: _text(v, w, True), "weight_type": _text, "bias_type": _text,
    "registered": _maybe_bool, "bias_registered": _maybe_bool,
    "problem": _problem,
}


def _layer_info(value: object, what: str) -> LayerInfo:
    checked = _record(value, what, set(), optional=set(LAYER_FIELDS))
    for key, item in checked.items():
        LAYER_FIELDS[key](item, f"{what}.{key}")
    return cast(LayerInfo, checked)


def _parameter(value: object, what: str) -> None:
    checked = _record(value, what, {"name", "kind", "default"})
    name = _text(checked["name"], f"{what}.name")
    if not (name and name.isidentifier()) or checked["kind"] not in PARAMETER_KINDS \
            or type(checked["default"]) is not bool:
        raise Corrupt(f"{what} is not a parameter")


def _subject(value: object, what: str) -> None:
    checked = _record(value, what, {"name", "role", "kind", "params", "found"})
    name = _text(checked["name"], f"{what}.name")
    if not (name and name.isidentifier()) or checked["role"] not in ROLES:
        raise Corrupt(f"{what} names no role of check's")
    if checked["kind"] not in ("class", "function"):
        raise Corrupt(f"{what}.kind is unknown")
    _text(checked["found"], f"{what}.found")
    _list(checked["params"], f"{what}.params", _parameter)


def _cell(value: object, what: str) -> None:
    checked = _record(value, what, {"label", "filename", "first_line"})
    _text(checked["label"], f"{what}.label")
    _text(checked["filename"], f"{what}.filename")
    _integer(checked["first_line"], f"{what}.first_line")


def _loop(value: object, what: str) -> None:
    checked = _record(value, what, {"where", "code"})
    _text(checked["where"], f"{what}.where")
    _text(checked["code"], f"{what}.code")


VALUE_KINDS = {"none", "shape", "tuple", "text", "array", "large"}
MAX_SHOWN = 1 << 20  # elements of an array a chapter's cell shows (child/values.py sends no more)


def _dtype(value: object, what: str) -> np.dtype[Any]:
    try:
        dtype = np.dtype(_text(value, what))
    except TypeError:
        raise Corrupt(f"{what} is not a dtype") from None
    if dtype.kind not in "biufc" or dtype.hasobject:
        raise Corrupt(f"{what} is not a dtype of numbers")
    return dtype


def shown(value: object, what: str = "value", depth: int = 0) -> ShownValue:
    """A cell's value as `tabs`' child describes it (child/values.py)."""
    if not isinstance(value, dict) or value.get("kind") not in VALUE_KINDS:
        raise Corrupt(f"{what} is not a value")
    fields: set[str] = {"none": set(), "shape": {"dims"}, "tuple": {"items"}, "text": {"text"}, "array": {"array"},
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
    return cast(ShownValue, value)


class Checker:
    """The messages of one child, in order: each is checked against what came before it."""

    def __init__(self, cells: int = 0) -> None:
        self.cells = cells
        self.calls: set[int] | None = None  # the calls the parent sent, until each has its result
        self.current: int | None = None  # the call the child announced it started

    def check(self, message: object) -> Message:
        """`message`, untrusted, as the `Message` it is; Corrupt where it is none."""
        if not isinstance(message, dict) or message.get("t") not in MESSAGES:
            raise Corrupt(f"a message of an unknown kind ({str(message)[:80]})")
        kind = message["t"]
        required, optional = MESSAGES[kind]
        _record(message, kind, required | {"t"}, optional=optional)
        getattr(self, "_" + kind.replace("-", "_"))(message)
        return cast(Message, message)

    def _cells(self, m: dict[str, Any]) -> None:
        _text(m["tab"], "cells.tab", optional=True)
        _list(m["cells"], "cells.cells", _cell)
        self.cells = len(m["cells"])

    def _input_error(self, m: dict[str, Any]) -> None:
        _text(m["message"], "input-error.message")

    def _environment_error(self, m: dict[str, Any]) -> None:
        _text(m["module"], "environment-error.module")
        _text(m["message"], "environment-error.message")

    def _cell(self, m: dict[str, Any]) -> None:
        _integer(m["index"], "cell.index", high=self.cells)

    def _cell_error(self, m: dict[str, Any]) -> None:
        _integer(m["index"], "cell-error.index", high=self.cells)
        error(m["error"], "cell-error.error")

    def _loaded(self, m: dict[str, Any]) -> None:
        _list(m["subjects"], "loaded.subjects", _subject)
        if len({s["name"] for s in m["subjects"]}) != len(m["subjects"]):
            raise Corrupt("loaded.subjects names one twice")
        for key in ("notes", "missing"):
            _list(m[key], f"loaded.{key}", _text)
        _list(m["loops"], "loaded.loops", _loop)
        _record(m["versions"], "loaded.versions", set(), optional=set(m["versions"]))
        for key, value in m["versions"].items():
            _text(key, "loaded.versions")
            _text(value, f"loaded.versions.{key}")

    def expect_calls(self, indices: Iterable[int]) -> None:
        self.calls = set(indices)

    def _start(self, m: dict[str, Any]) -> None:
        if self.calls is None or m["i"] not in self.calls or self.current is not None:
            raise Corrupt("a call started that was not sent, or before the last one ended")
        self.current = m["i"]

    def _result(self, m: dict[str, Any]) -> None:
        if m["i"] != self.current:
            raise Corrupt("a result for a call that is not running")
        if ("error" in m) == ("outputs" in m):
            raise Corrupt("a result with both outputs and an error, or neither")
        if "error" in m:
            error(m["error"], "result.error")
        else:
            _record(m["outputs"], "result.outputs", set(), optional={"Y", "K", "bias", "losses"})
            for key, value in m["outputs"].items():
                description(value, f"result.outputs.{key}")
            _layer_info(m.get("extra", {}), "result.extra")
        assert self.calls is not None  # _start saw them
        self.calls.discard(m["i"])
        self.current = None

    def _value(self, m: dict[str, Any]) -> None:
        _integer(m["index"], "value.index", high=self.cells)
        shown(m["value"], "value.value")
        _text(m["printed"], "value.printed")
        if "error" in m:
            error(m["error"], "value.error")

    def _done(self, m: dict[str, Any]) -> None:
        if self.current is not None:
            raise Corrupt("done while a call was running")
