"""Which features of a convolution the built-in cases carry to which path of which op.

A cell is (op, path, feature). It is covered when at least one built-in case of that op
has a non-default value of that feature and reaches that path; a bug that only that feature
on that path shows (a batch in a compiled learning loop) is then caught by the main job.
Where a backend's framework cannot take a feature on a path, its declaration says so
("cannot", `backends.contract`), and the cell names it instead of asking for a case.

Paths are the runner's (`harness.runner.PATHS`). A learn case's "layer" field picks the
path the loop trains (`spec.cases.PATH_OF_LAYER`), so a learn case reaches two of the four
learning paths: "fast" (the lesson's Conv2D, "layer": "custom") or "builtin" (the
framework's layer, "layer": "builtin"), both through `learn`; and "compiled" or "compiled
builtin", the same two layers through `learn_compiled`, which compiles a different program
for each.

Declared thresholds are the other dimension: every op a threshold names must have cases on
both of its sides, in both dtypes, with one channel and with several (`threshold_gaps`).

Reads cases and declarations only: no framework is imported.
"""

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeAlias

from convsuite import backends
from convsuite.backends.contract import ContractError, Declaration, Threshold
from convsuite.conformance.harness.runner import PATHS
from convsuite.spec import cases
from convsuite.spec.cases import Case, RawCase
from convsuite.spec.shapes import ResolvedGeometry

OPS = tuple(cases.INPUTS)
DTYPES = ("float32", "float64")
TAKES_BIAS = ("layer", "grad", "learn")
# The learning paths a learn case reaches, by the path its "layer" picks.
LEARN_PATHS = {"fast": ("fast", "compiled"), "builtin": ("builtin", "compiled builtin")}
# The learning paths a backend has where it has the runner's path of that name.
RUNNER_PATH = {"compiled builtin": "compiled"}

HasFeature: TypeAlias = Callable[[Case], bool]
IsKind: TypeAlias = Callable[[ResolvedGeometry], bool]  # whether a case's geometry is of a channel kind
# The cases that parse, with their raw form (`parsed_cases`).
ParsedCases: TypeAlias = Sequence[tuple[RawCase, Case]]


def _padded(g: ResolvedGeometry) -> bool:
    return sum(map(sum, g.padding)) > 0


def _side(axis: int, end: int) -> HasFeature:
    return lambda case: case.geometry.padding[axis][end] > 0


def _mode(mode: str) -> HasFeature:
    # A padding mode fills the padding: without any, every mode computes the same thing.
    return lambda case: case.geometry.padding_mode == mode and _padded(case.geometry)


def _bias(case: Case) -> bool:
    return bool(case.inputs["bias"].any())


# feature -> (the ops that take it, whether a parsed case has a non-default value of it)
FEATURES: dict[str, tuple[tuple[str, ...], HasFeature]] = {
    "batch over one": (OPS, lambda c: c.geometry.x4[0] > 1),
    "input channels over one": (OPS, lambda c: c.geometry.x4[1] > 1),
    "output channels over one": (OPS, lambda c: c.geometry.k4[0] > 1),
    "groups over one": (OPS, lambda c: c.geometry.groups > 1),
    "depthwise": (OPS, lambda c: c.geometry.groups > 1 and c.geometry.k4[1] == 1),
    "stride over one (height)": (OPS, lambda c: c.geometry.stride[0] > 1),
    "stride over one (width)": (OPS, lambda c: c.geometry.stride[1] > 1),
    "dilation over one (height)": (OPS, lambda c: c.geometry.dilation[0] > 1),
    "dilation over one (width)": (OPS, lambda c: c.geometry.dilation[1] > 1),
    "padding top": (OPS, _side(0, 0)),
    "padding bottom": (OPS, _side(0, 1)),
    "padding left": (OPS, _side(1, 0)),
    "padding right": (OPS, _side(1, 1)),
    "padding mode reflect": (OPS, _mode("reflect")),
    "padding mode replicate": (OPS, _mode("replicate")),
    "padding mode circular": (OPS, _mode("circular")),
    '"same"': (OPS, lambda c: c.geometry.padding_name == "same"),
    "bias": (TAKES_BIAS, _bias),
    "learned bias": (("learn",), lambda c: bool(c.inputs["learn_bias"])),
    "float32": (OPS, lambda c: c.dtype == "float32"),
    "float64": (OPS, lambda c: c.dtype == "float64"),
    "non-square input": (OPS, lambda c: c.geometry.x4[2] != c.geometry.x4[3]),
    "non-square kernel": (OPS, lambda c: c.geometry.k4[2] != c.geometry.k4[3]),
}


def paths_of(op: str) -> tuple[str, ...]:
    """The paths an op runs on, as the table's columns name them."""
    if op == "learn":
        return tuple(path for reached in LEARN_PATHS.values() for path in reached)
    return tuple(path for path, ops in PATHS.items() if op in ops)


def reached_paths(case: Case) -> tuple[str, ...]:
    """The paths a parsed case reaches."""
    if case.op == "learn":
        return LEARN_PATHS[case.inputs["path"]]
    return paths_of(case.op)


def parsed_cases(raw_cases: Sequence[RawCase] | None = None) -> list[tuple[RawCase, Case]]:
    """(raw, parsed) of every case that parses (one that raises reaches no path)."""
    found = []
    for raw in cases.load() if raw_cases is None else raw_cases:
        try:
            found.append((raw, cases.parse(raw)))
        except Exception:
            continue
    return found


@dataclass(frozen=True, kw_only=True)
class Cell:
    op: str
    path: str
    feature: str
    cases: tuple[str, ...]  # ids of the built-in cases that cover it
    cannot: tuple[tuple[str, str], ...]  # (backend, why) of each backend whose path cannot take the feature
    offered_by: tuple[str, ...]  # the backends that have this path

    @property
    def covered(self) -> bool:
        return bool(self.cases)

    @property
    def required(self) -> bool:
        """Whether some backend's path accepts the feature, so that a case must reach it."""
        return bool(set(self.offered_by) - {name for name, _ in self.cannot})

    def __str__(self) -> str:
        return f"op {self.op}, path {self.path}, feature {self.feature}"


def _offered_by(path: str, declarations: Sequence[Declaration]) -> tuple[str, ...]:
    runner_path = RUNNER_PATH.get(path, path)
    return tuple(d.name for d in declarations if runner_path != "compiled" or d.offers("compiled"))


def _check_cannot(declarations: Sequence[Declaration]) -> None:
    """A declared "cannot" names a cell of the table (`backends.contract` checks its fields)."""
    for d in declarations:
        for item in d.cannot:
            if item["feature"] not in FEATURES or item["path"] not in paths_of(item["op"]) \
                    or item["op"] not in FEATURES[item["feature"]][0]:
                raise ContractError(f"{d.folder / 'backend.toml'}: cannot names no cell of the coverage "
                                    f"table: {item!r}; features: {sorted(FEATURES)}")


def table(raw_cases: Sequence[RawCase] | None = None, declarations: Sequence[Declaration] | None = None,
          parsed: ParsedCases | None = None) -> list[Cell]:
    """Every cell, op by op, path by path, feature by feature (of `parsed`, the
    `parsed_cases` of `raw_cases`, when given)."""
    declarations = backends.declarations() if declarations is None else declarations
    _check_cannot(declarations)
    parsed = parsed_cases(raw_cases) if parsed is None else parsed
    cells = []
    for op in OPS:
        for path in paths_of(op):
            for feature, (ops, has) in FEATURES.items():
                if op not in ops:
                    continue
                ids = tuple(raw["id"] for raw, case in parsed
                            if case.op == op and path in reached_paths(case) and has(case))
                cannot = tuple((d.name, item["why"]) for d in declarations for item in d.cannot
                               if (item["op"], item["path"], item["feature"]) == (op, path, feature))
                cells.append(Cell(op=op, path=path, feature=feature, cases=ids, cannot=cannot,
                                  offered_by=_offered_by(path, declarations)))
    return cells


def gaps(raw_cases: Sequence[RawCase] | None = None, declarations: Sequence[Declaration] | None = None,
         parsed: ParsedCases | None = None) -> list[Cell]:
    """The cells some backend's path accepts that no built-in case covers."""
    return [cell for cell in table(raw_cases, declarations, parsed) if cell.required and not cell.covered]


def _channel_kinds(threshold: Threshold) -> list[tuple[str, IsKind]]:
    """The channel kinds a threshold must be crossed with: both, unless its `when` fixes one
    (or it is the switch between them)."""
    if threshold.measure == "channel_pairs":
        return [("", lambda g: True)]
    low, high = threshold.when.get("channel_pairs", (None, None))
    kinds: list[tuple[str, IsKind]] = [("one channel", lambda g: g.measure("channel_pairs") == 1),
                                       ("channels", lambda g: g.measure("channel_pairs") > 1)]
    return [(name, test) for name, test in kinds
            if (name == "one channel" and (low is None or low <= 1)) or (name == "channels" and (high is None or high > 1))]


def threshold_gaps(declaration: Declaration, threshold: Threshold, parsed: ParsedCases | None = None) -> list[str]:
    """The sides of a declared threshold no built-in case reaches, per op, dtype and channel
    kind, in words ([] when every side is reached)."""
    parsed = parsed_cases() if parsed is None else parsed
    limit = declaration.limit(threshold)
    missing = []
    for op in threshold.ops:
        for dtype in DTYPES:
            for kind, is_kind in _channel_kinds(threshold):
                measured = [case.geometry.measure(threshold.measure) for raw, case in parsed
                            if case.op == op and case.dtype == dtype and is_kind(case.geometry)
                            and threshold.applies(op, case.geometry)]
                for side, reached in (("at or below", any(m <= limit for m in measured)),
                                      ("above", any(m > limit for m in measured))):
                    if not reached:
                        missing.append(f"{op} {dtype} {kind} {side} {threshold.measure} = {limit}")
    return missing


def _mark(cell: Cell) -> str:
    if cell.cannot:
        note = "; ".join(f"{name} cannot: {why}" for name, why in cell.cannot)
        return f"{'✓' if cell.covered else '✗'} ({note})"
    return "✓" if cell.covered else "**✗**"


def markdown(raw_cases: Sequence[RawCase] | None = None, declarations: Sequence[Declaration] | None = None,
             parsed: ParsedCases | None = None) -> str:
    """The coverage table as Markdown: features by op and path, then the thresholds."""
    declarations = backends.declarations() if declarations is None else declarations
    parsed = parsed_cases(raw_cases) if parsed is None else parsed
    cells = {(c.op, c.path, c.feature): c for c in table(declarations=declarations, parsed=parsed)}
    columns = [(op, path) for op in OPS for path in paths_of(op)]
    lines = [
        "Generated by `python -m conformance coverage` from the built-in cases and the backends' "
        "declarations; ✓: a built-in case has the feature on that path, ✗: none has, —: the op "
        "takes no such feature. A learn case's `layer` picks its paths: `custom` the fast and "
        "compiled loops, `builtin` the built-in layer's loops.",
        "",
        "| feature | " + " | ".join(f"{op} {path}" for op, path in columns) + " |",
        "| --- |" + " :---: |" * len(columns),
    ]
    for feature in FEATURES:
        marks = [_mark(cells[(op, path, feature)]) if (op, path, feature) in cells else "—"
                 for op, path in columns]
        lines.append(f"| {feature} | " + " | ".join(marks) + " |")
    lines += ["", "| backend | threshold | measure | ops | both sides, both dtypes |", "| --- | --- | --- | --- | :---: |"]
    for declaration in declarations:
        for threshold in declaration.thresholds:
            missing = threshold_gaps(declaration, threshold, parsed)
            lines.append(f"| {declaration.name} | {threshold.name} | {threshold.measure} ≤ "
                         f"{declaration.limit(threshold)} | {', '.join(threshold.ops)} | "
                         f"{'✓' if not missing else '**✗** ' + '; '.join(missing)} |")
    return "\n".join(lines) + "\n"
