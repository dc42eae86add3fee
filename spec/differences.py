"""Documented framework differences: where a framework's own layer departs from the contract.

Each backend documents its own in its folder (``backends/NAME/differences.toml``); this module
says what one is, holds the conditions they name, and reads them all.

Each one was found (by the fuzzer or by hand), is pinned down by a test that fails the day
the framework changes, and is accepted by `compare` only under exactly its conditions. The
matrix then shows the cell as "known", and `compare` lists it: it never reads as a plain pass.

One that gives "crash" is a framework bug that corrupts memory: its result may be anything,
or the process dies. `run` computes such a case alone in a child process of its own
(`conformance.harness.supervised`), and the difference excuses exactly a "WorkerDied" error
or numbers of the right shape in its fields, nothing else.
"""

from __future__ import annotations

import dataclasses
import pathlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from convsuite.spec.cases import Case, RawCase

# A result as a results file holds it: {"id", field: numbers...} or {"id", "error": {...}}.
Result = dict[str, Any]

# What a difference gives where the contract's IEEE arithmetic gives something else.
GIVES = ("nan", "number", "crash")
# The error of a case whose worker process died on it (`conformance.harness.workers`).
WORKER_DIED = "WorkerDied"


@dataclass(frozen=True)
class Difference:
    name: str
    columns: tuple[str, ...]  # the results columns it concerns, e.g. ("tensorflow:builtin",)
    ops: tuple[str, ...]
    fields: tuple[str, ...]
    when: Callable[[Case], bool]  # whether the case meets the difference's conditions
    gives: str  # "nan": NaN where the contract has a number; "number": a number where it has NaN;
    # "crash": the process dies, or any numbers (the framework wrote over its own memory)
    why: str

    def applies(self, column: str, case: Case) -> bool:
        return column_kind(column) in self.columns and case.op in self.ops and self.when(case)

    def excused(self, result: Result, expected: Result) -> Result:
        """The result with the elements this difference allows put back to the expected values."""
        if self.gives == "crash":
            return self._excused_crash(result, expected)
        result = dict(result)
        for name in (field for field in self.fields if field in result):
            got = np.asarray(result[name], dtype=np.float64)
            want = np.asarray(expected[name], dtype=np.float64)
            if got.shape == want.shape:
                nan_got, nan_wanted = np.isnan(got), np.isnan(want)
                allowed = nan_got & ~nan_wanted if self.gives == "nan" else ~nan_got & nan_wanted
                result[name] = np.where(allowed, want, got).tolist()
        return result

    def _excused_crash(self, result: Result, expected: Result) -> Result:
        """The expected result for a worker's death or for fields of the right shape,
        whatever their numbers; any other error or shape stays as it is."""
        if "error" in result:
            died = isinstance(result["error"], dict) and result["error"].get("type") == WORKER_DIED
            return {k: v for k, v in expected.items() if k != "error"} if died else result
        result = dict(result)
        for name in (field for field in self.fields if field in result and field in expected):
            if np.shape(result[name]) == np.shape(expected[name]):
                result[name] = expected[name]
        return result


def _dilated_with_non_finite_input(case: Case) -> bool:
    return max(case.geometry.dilation) > 1 and not np.isfinite(case.inputs["X"]).all()


def _float32_same_zeros_with_non_finite_kernel(case: Case) -> bool:
    kernel = case.inputs["weight"] if case.op == "layer" else case.inputs["K"]
    g = case.geometry
    stride_with_dilation = max(g.stride) > 1 and max(g.dilation) > 1  # Keras' "same" is not used there
    return (case.dtype == "float32" and g.padding_name == "same" and g.padding_mode == "zeros"
            and not stride_with_dilation and not np.isfinite(kernel).all())


def _float64_one_channel_groups_with_non_finite_input(case: Case) -> bool:
    g = case.geometry
    return (case.dtype == "float64" and g.groups > 1 and g.x4[1] == g.groups
            and not np.isfinite(case.inputs["X"]).all())


def _non_finite_input_or_kernel(case: Case) -> bool:
    kernel = case.inputs["weight"] if case.op == "layer" else case.inputs["K"]
    return not (np.isfinite(case.inputs["X"]).all() and np.isfinite(kernel).all())


def _float64_grouped_dilated_padded_axis(case: Case) -> bool:
    g = case.geometry
    return (case.dtype == "float64" and g.groups > 1 and g.x4[1] // g.groups > 1
            and any(d > 1 and min(pad) > 0 for d, pad in zip(g.dilation, g.padding)))


# The conditions a documented difference may name (its `when`), by name.
CONDITIONS: dict[str, Callable[[Case], bool]] = {
    "dilated_with_non_finite_input": _dilated_with_non_finite_input,
    "float32_same_zeros_with_non_finite_kernel": _float32_same_zeros_with_non_finite_kernel,
    "float64_one_channel_groups_with_non_finite_input": _float64_one_channel_groups_with_non_finite_input,
    "non_finite_input_or_kernel": _non_finite_input_or_kernel,
    "float64_grouped_dilated_padded_axis": _float64_grouped_dilated_padded_axis,
}
# A difference as its backend's differences.toml holds it: field -> type.
FIELDS: dict[str, type] = {"name": str, "columns": list, "ops": list, "fields": list, "when": str, "gives": str, "why": str}
FILE = "differences.toml"


class DifferenceFileError(ValueError):
    """A backend's differences.toml that does not hold documented differences: the message
    names the file and the problem."""


def _difference(item: Any, path: pathlib.Path) -> Difference:
    if not isinstance(item, dict) or set(item) != set(FIELDS):
        raise DifferenceFileError(f"{path}: a difference has exactly the fields {sorted(FIELDS)}, got {item!r}")
    for field, kind in FIELDS.items():
        if not isinstance(item[field], kind):
            raise DifferenceFileError(f"{path}: difference {item['name']!r}: {field} must be a {kind.__name__}")
    if item["when"] not in CONDITIONS:
        raise DifferenceFileError(f"{path}: difference {item['name']!r}: unknown condition {item['when']!r}; "
                                  f"conditions: {sorted(CONDITIONS)}")
    if item["gives"] not in GIVES:
        raise DifferenceFileError(f"{path}: difference {item['name']!r}: gives one of {GIVES}, got {item['gives']!r}")
    return Difference(name=item["name"], columns=tuple(item["columns"]), ops=tuple(item["ops"]),
                      fields=tuple(item["fields"]), when=CONDITIONS[item["when"]], gives=item["gives"],
                      why=item["why"])


def _documented() -> list[Difference]:
    """Every backend's documented differences, in registry order; one found in two backends'
    files (the same framework library under both) is one difference on both's columns."""
    import tomllib

    from convsuite import backends

    found: dict[str, Difference] = {}
    for name in backends.names():
        path = backends.declaration(name).folder / FILE
        if not path.exists():
            continue
        try:
            document = tomllib.loads(path.read_text())
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise DifferenceFileError(f"{path}: not TOML ({exc})") from None
        if set(document) != {"differences"} or not isinstance(document["differences"], list):
            raise DifferenceFileError(f"{path}: holds [[differences]] tables and nothing else")
        for item in document["differences"]:
            difference = _difference(item, path)
            if not all(column.split(":")[0] == name for column in difference.columns):
                raise DifferenceFileError(f"{path}: difference {difference.name!r} names another backend's "
                                          f"columns {difference.columns}")
            same = found.get(difference.name)
            if same is not None and dataclasses.replace(same, columns=difference.columns) != difference:
                raise DifferenceFileError(f"{path}: difference {difference.name!r} says otherwise in another backend")
            found[difference.name] = difference if same is None else dataclasses.replace(
                same, columns=same.columns + difference.columns)
    return list(found.values())


DIFFERENCES = _documented()


def column_kind(column: str) -> str:
    """The column a difference names: a learner's results (`check --out` names them
    "TARGET@BACKEND") are their backend's "BACKEND:learner"."""
    return f"{column.rsplit('@', 1)[1]}:learner" if "@" in column else column


def matching(column: str, case: Case) -> list[Difference]:
    return [d for d in DIFFERENCES if d.applies(column, case)]


def crashes(column: str, raw: RawCase) -> bool:
    """Whether a documented difference says this raw case kills or corrupts the framework on
    this column: it must then run in a process of its own."""
    from convsuite.spec import cases

    candidates = [d for d in DIFFERENCES if d.gives == "crash" and column_kind(column) in d.columns
                  and raw.get("op") in d.ops]
    if not candidates:  # most columns and cases: no need to parse (generate) the case
        return False
    try:
        case = cases.parse(raw)
    except Exception:  # a broken case raises on every path, in the worker, as a result
        return False
    return any(d.when(case) for d in candidates)
