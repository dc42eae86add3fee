"""The case format: what each op reads from a case and what its result holds.

A case file is ``{"cases": [...]}``. Every case has a unique string ``"id"`` and an ``"op"``;
optional on any case: ``"dtype"`` (``"float32"``, the default, or ``"float64"``),
``"expect"`` and ``"note"`` (free text for people). The README documents each op with an
example. Unknown fields are an error, so a misspelt field never passes silently. Array
inputs (X, K, weight, G, Y, K_init) are nested lists or generated arrays (`spec.generated`):
``{"normal": [1100, 1100], "seed": 3, "checksum": "..."}``.

A case past one of `spec.caps` (elements of an array, steps, padding, multiply-adds, inflated
size, nesting) is refused by `load` as a CaseFileError naming the file and the case, before
any of its work is done, and by `parse` as `spec.caps.PastCap`.
"""

import json
import math
import pathlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from convsuite.spec import caps, contract, generated, shapes

CASES_DIR = pathlib.Path(__file__).parent / "cases"
# A case file's "layer" names the layer a learn case trains; everywhere else the code calls
# the same choice the path: the lesson's Conv2D on the fast corr2d, or the built-in layer.
PATH_OF_LAYER = {"builtin": "builtin", "custom": "fast"}
# Case fields that reach the backend's function under another name.
ARGUMENT = {"layer": "path"}
COMMON_FIELDS = ("id", "op", "dtype", "expect", "note")
REQUIRED = object()
# A case as its JSON file holds it: anything at all until `parse` has checked it.
RawCase = dict[str, Any]
# A field's parser: (raw value, field name, dtype) -> the value the backend's function takes.
Parser = Callable[[Any, str, str], Any]


def _numbers(value: Any, name: str) -> Any:
    """A nested list as it is, a generated array (`spec.generated`) as its numbers."""
    return generated.generate(value, name) if generated.is_generated(value) else value


def _capped(array: NDArray[Any], name: str) -> NDArray[Any]:
    caps.elements(name, array.size)
    return array


def _tensor(value: Any, name: str, dtype: str) -> NDArray[Any]:
    """X or K: rank 2, 3 or 4 (which pairings are allowed is `spec.shapes`' rule)."""
    return _capped(contract.array(_numbers(value, name), name, dtype_name=dtype, ndim=(2, 3, 4)), name)


def _any_array(value: Any, name: str, dtype: str) -> NDArray[Any]:
    return _capped(contract.array(_numbers(value, name), name, dtype_name=dtype, ndim=(0, 1, 2, 3, 4)), name)


def _as_is(value: Any, name: str, dtype: str) -> Any:
    return value  # padding, stride, dilation, groups, padding_mode, bias: checked against the shapes below


def _finite(value: Any, name: str, dtype: str) -> float:
    return contract.finite_number(value, name)


def _steps(value: Any, name: str, dtype: str) -> int:
    steps = contract.positive_int(value, name)
    caps.steps(steps)
    return steps


def _flag(value: Any, name: str, dtype: str) -> bool:
    return contract.boolean(value, name)


def _layer_kind(value: Any, name: str, dtype: str) -> str:
    """The case file's "layer" ("builtin" or "custom") as the path the backend runs."""
    return PATH_OF_LAYER[contract.choice(value, name, tuple(PATH_OF_LAYER))]


GEOMETRY: dict[str, tuple[Parser, object]] = {"padding": (_as_is, 0), "stride": (_as_is, 1), "dilation": (_as_is, 1), "groups": (_as_is, 1),
            "padding_mode": (_as_is, "zeros")}

# op -> {field: (parser, default)}; the order is the order the backend's function takes.
INPUTS: dict[str, dict[str, tuple[Parser, object]]] = {
    "corr2d": {"X": (_tensor, REQUIRED), "K": (_tensor, REQUIRED), **GEOMETRY},
    "conv2d": {"X": (_tensor, REQUIRED), "K": (_tensor, REQUIRED), **GEOMETRY},
    "layer": {
        "X": (_tensor, REQUIRED), "weight": (_tensor, REQUIRED), "bias": (_as_is, REQUIRED),
        **GEOMETRY,
    },
    "grad": {
        "X": (_tensor, REQUIRED), "K": (_tensor, REQUIRED), "bias": (_as_is, 0),
        "G": (_any_array, None), **GEOMETRY,
    },
    "learn": {
        "X": (_tensor, REQUIRED), "Y": (_any_array, REQUIRED), "K_init": (_tensor, REQUIRED),
        "lr": (_finite, REQUIRED), "steps": (_steps, REQUIRED),
        "layer": (_layer_kind, REQUIRED), "bias": (_as_is, 0), "learn_bias": (_flag, False),
        **GEOMETRY,
    },
}

# op -> the numeric fields of its result ("bias" only when the case learns it).
OUTPUTS = {
    "corr2d": ("Y",),
    "conv2d": ("Y",),
    "layer": ("Y",),
    "grad": ("dX", "dK", "db"),
    "learn": ("losses", "K", "bias"),
}


# A case is lesson-sized when none of its arrays holds more elements than this. The larger
# built-in cases (spec/cases/large.json) exist to cross the backends' declared thresholds;
# element-by-element forms (the lesson's loops, finite differences) leave them out.
LESSON_ELEMENTS = 4096
ARRAY_FIELDS = ("X", "K", "weight", "G", "Y", "K_init")


def is_large(raw: RawCase) -> bool:
    """Whether a raw case holds an array of more than LESSON_ELEMENTS elements (read from a
    generated array's shape, without generating it)."""
    for field in ARRAY_FIELDS:
        value = raw.get(field)
        if generated.is_generated(value):
            shape: Any = next((value[kind] for kind in generated.KINDS if kind in value), [])
            # math.prod: Python integers, where np.prod of a hostile shape wraps around to 0
            size = math.prod(shape) if isinstance(shape, list) and all(isinstance(n, int) for n in shape) else 0
        else:
            size = _leaves(value)
        if size > LESSON_ELEMENTS:
            return True
    return False


def _leaves(value: object) -> int:
    """How many numbers a nested list holds (ragged ones too: they are errors, not large)."""
    return sum(map(_leaves, value)) if isinstance(value, list) else 1


class CaseFileError(ValueError):
    """A case file that cannot be read as a list of cases with unique ids."""


@dataclass(frozen=True)
class Case:
    id: str
    op: str
    dtype: str
    # The backend function's arguments by name, as `**inputs`: NumPy arrays in `dtype`,
    # numbers, flags, the path and the Geometry. Which ones depends on the op (INPUTS).
    inputs: dict[str, Any]
    geometry: shapes.ResolvedGeometry
    expect: dict[str, Any] | None  # field -> float64 array, "atol" -> a number; or "error" -> a type name

    @property
    def outputs(self) -> tuple[str, ...]:
        learns_bias = self.inputs.get("learn_bias", False)
        return tuple(f for f in OUTPUTS[self.op] if f != "bias" or learns_bias)


def _bias(value: Any, channels: int, dtype: str) -> NDArray[Any]:
    """A number (every output channel starts from it) or one value per output channel."""
    if isinstance(value, list):
        bias = _capped(contract.array(value, "bias", dtype_name=dtype, ndim=(1,)), "bias")
        if bias.shape != (channels,):
            raise ValueError(f"bias has {bias.shape[0]} values for {channels} output channels")
        return bias
    return np.full(channels, contract.number(value, "bias"), dtype=dtype)


def _shaped(inputs: dict[str, Any], field: str, *, shape: tuple[int, ...], dtype: str) -> None:
    """Check an array input against the output shape (G defaults to ones)."""
    if inputs.get(field) is None:
        inputs[field] = np.ones(shape, dtype=dtype)
    elif inputs[field].shape != shape:
        raise ValueError(f"{field} has shape {inputs[field].shape}, the output has {shape}")


def _geometry(op: str, inputs: dict[str, Any], dtype: str) -> shapes.ResolvedGeometry:
    kernel: NDArray[Any] = inputs["weight"] if op == "layer" else inputs["K"] if "K" in inputs else inputs["K_init"]
    given = shapes.Geometry(**{field: inputs.pop(field) for field in GEOMETRY})
    g = shapes.conv_geometry(inputs["X"].shape, kernel.shape, given)
    caps.geometry(g, caps.passes(op, inputs.get("steps", 1)))  # before G or Y is made, or any pass runs
    inputs["geometry"] = g.settings
    if "bias" in inputs:
        inputs["bias"] = _bias(inputs["bias"], g.k4[0], dtype)
    if op == "grad":
        _shaped(inputs, "G", shape=g.out_shape, dtype=dtype)
    if op == "learn":
        _shaped(inputs, "Y", shape=g.out_shape, dtype=dtype)
    return g


def _parse_expect(raw: Any, outputs: tuple[str, ...]) -> dict[str, Any] | None:
    if raw is None:
        return None
    if not isinstance(raw, dict) or not raw:
        raise ValueError(f"expect must be a non-empty object, got {raw!r}")
    if "error" in raw:
        if set(raw) != {"error"} or not isinstance(raw["error"], str):
            raise ValueError('expect with "error" takes only the exception type name')
        return {"error": raw["error"]}
    unknown = set(raw) - set(outputs) - {"atol"}
    if unknown:
        raise ValueError(f"expect has unknown fields {sorted(unknown)}; results hold {outputs}")
    expect: dict[str, Any] = {}
    for field, value in raw.items():
        if field == "atol":
            expect["atol"] = contract.finite_number(value, "expect.atol")
        else:
            expect[field] = _any_array(value, f"expect.{field}", "float64")
    return expect


def parse(raw: RawCase) -> Case:
    """Validate one raw case (a dict from JSON) and convert its arrays; raises per contract."""
    op = raw.get("op")
    if op not in INPUTS:
        raise ValueError(f"op must be one of {tuple(INPUTS)}, got {op!r}")
    unknown = set(raw) - set(COMMON_FIELDS) - set(INPUTS[op])
    if unknown:
        raise ValueError(f"unknown fields {sorted(unknown)} for op {op!r}")
    dtype = contract.dtype(raw.get("dtype", "float32"))
    inputs = {}
    for field, (parser, default) in INPUTS[op].items():
        if field in raw:
            inputs[ARGUMENT.get(field, field)] = parser(raw[field], field, dtype)
        elif default is REQUIRED:
            raise ValueError(f"op {op!r} needs field {field!r}")
        else:
            inputs[ARGUMENT.get(field, field)] = default
    geometry = _geometry(op, inputs, dtype)
    case = Case(raw["id"], op, dtype, inputs, geometry, None)
    return Case(case.id, op, dtype, inputs, geometry, _parse_expect(raw.get("expect"), case.outputs))


def builtin_files() -> list[pathlib.Path]:
    return sorted(CASES_DIR.glob("*.json"))


def _nesting(value: object) -> int:
    """How deeply `value` nests lists and objects, counted without recursion and no further
    than one level past caps.NESTING."""
    depth, level = 0, [value]
    while depth <= caps.NESTING:
        containers = [v for v in level if isinstance(v, (list, dict))]
        if not containers:
            break
        depth += 1
        level = [item for v in containers for item in (v.values() if isinstance(v, dict) else v)]
    return depth


def _declared_shape(value: Any) -> tuple[int, ...] | None:
    """The shape an array field declares, read without building it (None where it is not a
    valid array: that is parse's error to raise, with the contract's exception)."""
    if generated.is_generated(value):
        shape = next((value[kind] for kind in generated.KINDS if kind in value), None)
        valid = isinstance(shape, list) and all(isinstance(n, int) and not isinstance(n, bool) for n in shape)
        return tuple(shape) if valid and shape is not None else None
    shape, level = (), [value]
    while all(isinstance(v, list) for v in level):
        lengths = {len(v) for v in level}
        if len(lengths) != 1:
            return None if lengths else shape
        shape += (lengths.pop(),)
        level = [item for v in level for item in v]
    return None if any(isinstance(v, list) for v in level) else shape  # ragged: parse's error


def _check_caps(raw: RawCase) -> None:
    """Raise caps.PastCap for a raw case past a cap, from its declared shapes alone: before
    any array is generated or any pass runs."""
    op = raw["op"]
    fields = [f for f in (*ARRAY_FIELDS, "bias") if f in raw]
    expect: dict[str, Any] = raw["expect"] if isinstance(raw.get("expect"), dict) else {}
    declared = {f: _declared_shape(raw[f]) for f in fields}
    declared.update({f"expect.{f}": _declared_shape(v) for f, v in expect.items() if isinstance(v, (list, dict))})
    for name, shape in declared.items():
        value = raw[name] if name in raw else expect[name.removeprefix("expect.")]
        if shape is not None and generated.is_generated(value):
            caps.inflated(name, math.prod(shape) * 8)
        elif shape is not None:
            caps.elements(name, math.prod(shape))
    steps = raw.get("steps", 1)
    steps = steps if isinstance(steps, int) and not isinstance(steps, bool) and steps > 0 else 1
    caps.steps(steps)
    x, kernel = declared.get("X"), declared.get("weight" if op == "layer" else "K", declared.get("K_init"))
    if x is None or kernel is None:
        return
    try:
        g = shapes.conv_geometry(x, kernel, shapes.Geometry(**{f: raw.get(f, GEOMETRY[f][1]) for f in GEOMETRY}))
    except Exception:  # noqa: BLE001: not a valid convolution, which parse reports as the case's error
        return
    caps.geometry(g, caps.passes(op, steps))


def _checked(raw: Any, index: int, path: pathlib.Path) -> RawCase:
    """The raw case, its structure and caps checked: CaseFileError naming the file and case."""
    case_id = raw.get("id") if isinstance(raw, dict) else None
    if not isinstance(case_id, str) or not case_id:
        raise CaseFileError(f"{path}: case #{index} has no string id")
    if not isinstance(raw.get("op"), str):
        raise CaseFileError(f"{path}: case {case_id!r}: op must be a string, got {raw.get('op')!r}")
    if _nesting(raw) > caps.NESTING:
        raise CaseFileError(f"{path}: case {case_id!r}: nested deeper than {caps.NESTING} levels "
                            "(spec/caps.py: NESTING)")
    try:
        _check_caps(raw)
    except caps.PastCap as exc:
        raise CaseFileError(f"{path}: case {case_id!r}: {exc}") from None
    checked: RawCase = raw
    return checked


def _document(path: pathlib.Path) -> Any:
    """A case file's JSON: CaseFileError for a file that cannot be read, is not UTF-8, is not
    JSON, or nests deeper than Python's JSON reader goes."""
    try:
        text = path.read_bytes().decode("utf-8")
    except OSError as exc:
        raise CaseFileError(f"{path}: cannot read case file: {exc}") from None
    except UnicodeDecodeError as exc:
        raise CaseFileError(f"{path}: cannot read case file: not UTF-8 ({exc.reason} at byte {exc.start})") from None
    try:
        return json.loads(text)
    except RecursionError:
        raise CaseFileError(f"{path}: cannot read case file: nested too deeply for JSON") from None
    except ValueError as exc:  # JSONDecodeError, and integers past Python's digit limit
        raise CaseFileError(f"{path}: cannot read case file: {exc}") from None


def load(paths: Iterable[str | pathlib.Path] | None = None) -> list[RawCase]:
    """The raw cases of the given files (default: the built-in ones), ids checked unique,
    each case's structure and caps checked (`spec.caps`)."""
    files = [pathlib.Path(p) for p in (paths or builtin_files())]
    cases: list[RawCase] = []
    seen: dict[str, pathlib.Path] = {}
    for path in files:
        document = _document(path)
        if not isinstance(document, dict) or not isinstance(document.get("cases"), list):
            raise CaseFileError(f'{path}: a case file is {{"cases": [...]}}')
        for index, raw in enumerate(document["cases"]):
            case_id = _checked(raw, index, path)["id"]
            if case_id in seen:
                raise CaseFileError(f"{path}: case id {case_id!r} also in {seen[case_id]}")
            seen[case_id] = path
            cases.append(raw)
    return cases
