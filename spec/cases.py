"""The case format: what each op reads from a case and what its result holds.

A case file is ``{"cases": [...]}``. Every case has a unique string ``"id"`` and an ``"op"``;
optional on any case: ``"dtype"`` (``"float32"``, the default, or ``"float64"``),
``"expect"`` and ``"note"`` (free text for people). The README documents each op with an
example. Unknown fields are an error, so a misspelt field never passes silently.
"""

import json
import pathlib
from dataclasses import dataclass

import numpy as np

from spec import contract, shapes

CASES_DIR = pathlib.Path(__file__).parent / "cases"
LAYER_KINDS = ("builtin", "custom")
COMMON_FIELDS = ("id", "op", "dtype", "expect", "note")


def _matrix(value, name, dtype):
    return contract.array(value, name, dtype, ndim=2)


def _number(value, name, dtype):
    return contract.number(value, name)


def _finite(value, name, dtype):
    return contract.finite_number(value, name)


def _steps(value, name, dtype):
    return contract.positive_int(value, name)


def _layer_kind(value, name, dtype):
    return contract.choice(value, name, LAYER_KINDS)


# op -> {field: parser}; the order is the order the backend's function takes them in.
INPUTS = {
    "corr2d": {"X": _matrix, "K": _matrix},
    "conv2d": {"X": _matrix, "K": _matrix},
    "layer": {"X": _matrix, "weight": _matrix, "bias": _number},
    "learn": {
        "X": _matrix,
        "Y": _matrix,
        "K_init": _matrix,
        "lr": _finite,
        "steps": _steps,
        "layer": _layer_kind,
    },
}

# op -> the numeric fields of its result.
OUTPUTS = {
    "corr2d": ("Y",),
    "conv2d": ("Y",),
    "layer": ("Y",),
    "learn": ("losses", "K"),
}


class CaseFileError(ValueError):
    """A case file that cannot be read as a list of cases with unique ids."""


@dataclass(frozen=True)
class Case:
    id: str
    op: str
    dtype: str
    inputs: dict
    expect: dict | None


def _check_shapes(op, inputs):
    if op in ("corr2d", "conv2d"):
        shapes.corr2d_output_shape(inputs["X"].shape, inputs["K"].shape)
    elif op == "layer":
        shapes.corr2d_output_shape(inputs["X"].shape, inputs["weight"].shape)
    elif op == "learn":
        out = shapes.corr2d_output_shape(inputs["X"].shape, inputs["K_init"].shape)
        if inputs["Y"].shape != out:
            raise ValueError(
                f"Y has shape {inputs['Y'].shape}, but X {inputs['X'].shape} with "
                f"K_init {inputs['K_init'].shape} gives {out}"
            )


def _parse_expect(raw, op):
    if raw is None:
        return None
    if not isinstance(raw, dict) or not raw:
        raise ValueError(f"expect must be a non-empty object, got {raw!r}")
    if "error" in raw:
        if set(raw) != {"error"} or not isinstance(raw["error"], str):
            raise ValueError('expect with "error" takes only the exception type name')
        return {"error": raw["error"]}
    allowed = set(OUTPUTS[op]) | {"atol"}
    unknown = set(raw) - allowed
    if unknown:
        raise ValueError(f"expect has unknown fields {sorted(unknown)} for op {op!r}")
    expect = {}
    for field, value in raw.items():
        if field == "atol":
            expect["atol"] = contract.finite_number(value, "expect.atol")
        else:
            shape = np.shape(value) if isinstance(value, list) else ()
            expect[field] = contract.array(value, f"expect.{field}", "float64", len(shape))
    return expect


def parse(raw):
    """Validate one raw case (a dict from JSON) and convert its arrays; raises per contract."""
    op = raw.get("op")
    if op not in INPUTS:
        raise ValueError(f"op must be one of {tuple(INPUTS)}, got {op!r}")
    unknown = set(raw) - set(COMMON_FIELDS) - set(INPUTS[op])
    if unknown:
        raise ValueError(f"unknown fields {sorted(unknown)} for op {op!r}")
    dtype = contract.dtype(raw.get("dtype", "float32"))
    inputs = {}
    for field, parser in INPUTS[op].items():
        if field not in raw:
            raise ValueError(f"op {op!r} needs field {field!r}")
        inputs[field] = parser(raw[field], field, dtype)
    _check_shapes(op, inputs)
    return Case(raw["id"], op, dtype, inputs, _parse_expect(raw.get("expect"), op))


def builtin_files():
    return sorted(CASES_DIR.glob("*.json"))


def load(paths=None):
    """The raw cases of the given files (default: the built-in ones), ids checked unique."""
    paths = [pathlib.Path(p) for p in (paths or builtin_files())]
    cases, seen = [], {}
    for path in paths:
        try:
            document = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError) as exc:
            raise CaseFileError(f"{path}: cannot read case file: {exc}") from exc
        if not isinstance(document, dict) or not isinstance(document.get("cases"), list):
            raise CaseFileError(f'{path}: a case file is {{"cases": [...]}}')
        for index, raw in enumerate(document["cases"]):
            case_id = raw.get("id") if isinstance(raw, dict) else None
            if not isinstance(case_id, str) or not case_id:
                raise CaseFileError(f"{path}: case #{index} has no string id")
            if case_id in seen:
                raise CaseFileError(f"{path}: case id {case_id!r} also in {seen[case_id]}")
            seen[case_id] = path
            cases.append(raw)
    return cases
