"""The terminal view of a comparison, 120 columns wide by default.

`format_outcome` prints, in this order: one title line; every disagreement, one line each,
the worst first (its error as a share of the tolerance; the categorical ones, an exception
or NaN or a shape where the target has none, before any number); one line per backend with
its counts per path (agree / documented / fail / skipped / not applicable); the documented
framework differences met, one line each (their full text with `verbose`); the skipped
backends; the verdict. With `matrix`, the case x backend matrix (the table `compare` printed
before, with its key) comes first. With `color` (a terminal, or --color always) ANSI escapes
mark the text, which stays the same: red for disagreements, yellow for documented
differences, green where everything agrees, dim where nothing was compared.

The last line is always the verdict that scripts read, never colored:
"N backend(s) ran M cases and agree|DISAGREE[; ...]". `as_json` is the same outcome as data
(`compare --json`).
"""

import math
import textwrap
from collections.abc import Iterable, Sequence
from typing import Any, Literal, TypedDict

from convsuite.conformance.harness.outcome import Cell, Failure, Known, Mismatch, Outcome
from convsuite.conformance.harness.status import Status

WIDTH = 120
DEFAULT_SHOWN = 50  # disagreements listed without --verbose (the worst; --json lists all)
RESET = "\033[0m"
STYLES = {
    "agree": "\033[32m",  # green
    "fail": "\033[31m",  # red
    "known": "\033[33m",  # yellow
    "none": "\033[2m",  # dim
    "header": "\033[1m",  # bold
}
TITLE = "max abs error against the float64 reference, per case and path (key below)"
KEY = (
    "key: NAME is the fast path, NAME:builtin the framework's own conv layer; the reference "
    "column: against the case's expect; an exception type where the case raises; - where a "
    "path does not apply; known: a documented difference, not a pass; FAIL: a disagreement "
    "(both listed below)"
)
COLOR_KEY = [("green", "agree", "agrees"), ("red", "fail", "FAIL"), ("yellow", "known", "known"),
             ("dim", "none", "- and skipped")]
CountName = Literal["agree", "documented", "fail", "skipped", "not_applicable"]
COUNTS: tuple[CountName, ...] = ("agree", "documented", "fail", "skipped", "not_applicable")
PATH_ORDER = ("fast", "builtin", "compiled")
# A failure without a number to weigh: what the error/tolerance column says instead.
CATEGORICAL = {"raised": "raised", "missing": "missing", "no-field": "no field",
               "unknown-case": "unknown", "broken-case": "broken"}


class Counts(TypedDict):
    """A column's cases by verdict (`counts`; `compare --json` writes them)."""

    backend: str
    path: str | None  # None for a skipped backend
    column: str
    agree: int
    documented: int
    fail: int
    skipped: int
    not_applicable: int


def _paint(text: str, style: str | None, color: bool) -> str:
    return f"{STYLES[style]}{text}{RESET}" if color and style else text


def _fit(line: str, width: int = WIDTH) -> str:
    """The line cut to `width` characters, "..." marking the cut."""
    return line if len(line) <= width else line[: width - 3].rstrip() + "..."


def split_column(column: str) -> tuple[str, str | None]:
    """(backend, path) of a matrix column: "torch" is the fast path, "torch:builtin" the
    builtin one; the reference has no path."""
    if column == "reference":
        return "reference", None
    backend, _, path = column.partition(":")
    return backend, path or "fast"


def _where(column: str) -> str:
    backend, path = split_column(column)
    return backend if path is None else f"{backend}:{path}"


# -- the disagreements, worst first -------------------------------------------------------

def share_of_tolerance(failure: Failure) -> tuple[float, str]:
    """(ratio, label): |error| / tolerance of the failure's worst element, and how the table
    shows it. A failure with no number (an exception, NaN against a number, another shape,
    no result, an infinite error) weighs infinity."""
    mismatch = failure.mismatch
    if mismatch is None:
        return math.inf, CATEGORICAL.get(failure.kind, failure.kind)
    if mismatch.shape:
        return math.inf, "shape"
    if mismatch.error is None:
        return math.inf, "NaN"
    if math.isinf(mismatch.error) or not mismatch.tolerance:
        return math.inf, "inf"
    ratio = mismatch.error / mismatch.tolerance
    return ratio, (f"{ratio:.3g}x" if ratio < 1000 else f"{ratio:.1e}x")


def worst_first(failures: Iterable[Failure]) -> list[Failure]:
    """The failures, the worst first (stable among equals: the order compare found them)."""
    return sorted(failures, key=lambda failure: -share_of_tolerance(failure)[0])


def _mismatch(m: Mismatch) -> str:
    """`outcome.Mismatch` in few words (its error/tolerance is the line's first column)."""
    if m.shape:
        return f"{m.field} shape {m.shape[0]}, expected {m.shape[1]}"
    where = f"{m.field}[{', '.join(map(str, m.element or ()))}] is {m.got:.7g}, expected {m.want:.7g}"
    return where if m.error is None else f"{where}, |diff| {m.error:.3g} > {m.tolerance:.3g}"


def _against(failure: Failure) -> str:
    short = {"the reference": "reference", "the case's expect": "expect"}
    return short.get(failure.against) or _where(failure.against)


def _problem(failure: Failure) -> str:
    """What went wrong, what it was judged against first (a long line loses its end)."""
    if failure.kind in ("broken-case", "unknown-case") or not failure.against:
        return str(failure) if failure.kind in ("broken-case", "unknown-case") else failure.problem
    if failure.mismatch is not None:
        return f"vs {_against(failure)}: {_mismatch(failure.mismatch)}"
    if failure.kind == "raised" and failure.error is not None:
        return f"vs {_against(failure)}: raised {failure.error['type']}: {failure.error['message']}"
    return f"vs {_against(failure)}: {failure.problem}"


def _disagreement_lines(outcome: Outcome, verbose: bool, color: bool) -> list[str]:
    failures = worst_first(outcome.failures)
    shown = failures if verbose else failures[:DEFAULT_SHOWN]
    rows = [(share_of_tolerance(f)[1], _where(f.backend), f.case, _problem(f)) for f in shown]
    # Columns as wide as their longest value within a limit: a longer one pushes its own line.
    widths = [max([len(header), *(len(row[i]) for row in rows if len(row[i]) <= limit)])
              for i, (header, limit) in enumerate([("error/tol", 12), ("backend:path", 24), ("case", 48)])]
    lines = [_paint(f"{len(failures)} disagreement(s), the worst first (error as a share of the tolerance):",
                    "fail", color),
             _fit("  " + "  ".join(h.ljust(w) for h, w in zip(("error/tol", "backend:path", "case"), widths))
                  + "  problem")]
    for failure, (label, where, case, problem) in zip(shown, rows):
        line = f"  {label.rjust(widths[0])}  {where.ljust(widths[1])}  {case.ljust(widths[2])}  {problem}"
        if not verbose:
            lines.append(_fit(line))
            continue
        lines.append(_fit(f"  {label.rjust(widths[0])}  {where.ljust(widths[1])}  {case}"))
        lines += textwrap.wrap(str(failure), WIDTH, initial_indent="      ", subsequent_indent="      ")
    if len(shown) < len(failures):
        lines.append(f"  ... {len(failures) - len(shown)} more, less far off (--verbose or --json lists every one)")
    return lines


# -- the counts per backend and path ------------------------------------------------------

def counts(outcome: Outcome) -> list[Counts]:
    """One dict per matrix column but the reference, in the matrix's order: backend, path
    (None for a skipped backend) and its cases that agree (an expected exception included),
    are documented differences, fail (a disagreement with the reference, the expect or
    another backend; no result), were skipped, or do not apply to the path."""
    failed = {(failure.case, failure.backend) for failure in outcome.failures}
    rows: list[Counts] = []
    for column in outcome.backends[1:]:
        backend, path = split_column(column)
        row = Counts(backend=backend, path=None if backend in outcome.skipped else path, column=column,
                     agree=0, documented=0, fail=0, skipped=0, not_applicable=0)
        for case_id in outcome.case_ids:
            cell = outcome.cells.get((case_id, column))
            if cell is None:
                continue
            if cell.kind == Status.KNOWN:
                row["documented"] += 1
            elif cell.kind == Status.SKIPPED:
                row["skipped"] += 1
            elif cell.kind == Status.NOT_APPLICABLE:
                row["not_applicable"] += 1
            elif cell.ok is False or (case_id, column) in failed:
                row["fail"] += 1
            else:
                row["agree"] += 1
        rows.append(row)
    return rows


def _summary_lines(outcome: Outcome, color: bool) -> list[str]:
    rows = counts(outcome)
    paths = sorted({row["path"] for row in rows if row["path"]},
                   key=lambda p: (PATH_ORDER.index(p) if p in PATH_ORDER else len(PATH_ORDER), p))
    by_backend: dict[str, dict[str | None, Counts]] = {}
    for row in rows:
        by_backend.setdefault(row["backend"], {})[row["path"]] = row
    cell = {backend: {path: "/".join(str(row[k]) for k in COUNTS) for path, row in got.items() if path}
            for backend, got in by_backend.items()}
    name_width = max([len("backend"), *(len(name) for name in by_backend if len(name) <= 24)])
    widths = {path: max([len(path), *(len(cell[b].get(path, "")) for b in cell)]) for path in paths}
    lines = ["per backend, cases per path: agree/documented/fail/skipped/not applicable",
             _fit("  " + "backend".ljust(name_width) + "".join(f"  {p.ljust(widths[p])}" for p in paths).rstrip())]
    for backend, got in by_backend.items():
        if backend in outcome.skipped:
            text = "  " + backend.ljust(name_width) + "  skipped: " + outcome.skipped[backend]
            lines.append(_paint(_fit(text), "none", color))
            continue
        text = "  " + backend.ljust(name_width) + "".join(
            f"  {cell[backend].get(p, '').ljust(widths[p])}" for p in paths).rstrip()
        style = "fail" if any(row["fail"] for row in got.values()) else (
            "known" if any(row["documented"] for row in got.values()) else "agree")
        lines.append(_paint(_fit(text), style, color))
    return lines


# -- the documented differences -----------------------------------------------------------

def _known_lines(outcome: Outcome, verbose: bool, color: bool) -> list[str]:
    """Each documented difference's id (with its why under `verbose`), then one line per
    cell it accounts for: backend:path and case."""
    by_name: dict[str, list[Known]] = {}
    why: dict[str, str] = {}
    for known in outcome.known:
        by_name.setdefault(known.name, []).append(known)
        why.setdefault(known.name, known.why)
    width = max([0, *(len(_where(known.backend)) for known in outcome.known if len(_where(known.backend)) <= 24)])
    lines = [_paint(_fit(f"{len(outcome.known)} documented framework difference(s) (spec/differences.py), not passes"
                         + ("" if verbose else " (--verbose: why each is not a bug)") + ":"), "known", color)]
    for name, met in by_name.items():
        lines.append(_fit(f"  {name}"))
        lines += [_fit(f"    {_where(known.backend).ljust(width)}  {known.case}") for known in met]
        if verbose:
            lines += textwrap.wrap(why[name], WIDTH, initial_indent="      ", subsequent_indent="      ")
    return lines


# -- the matrix (--matrix) ----------------------------------------------------------------

def _style(cell: Cell) -> str:
    """The style of a matrix cell (`conformance.harness.outcome.Cell`)."""
    if cell.ok is True:
        return "agree"
    if cell.ok is False:
        return "fail"
    return "known" if cell.kind == Status.KNOWN else "none"  # "-", "skipped", unchecked


def _row(cells: Sequence[str], widths: Sequence[int], *, styles: Sequence[str | None], color: bool) -> str:
    """Cells padded to their column's width, the padding outside any escape codes."""
    last = len(cells) - 1
    return "  ".join(
        _paint(cell, style, color) + ("" if i == last else " " * (width - len(cell)))
        for i, (cell, width, style) in enumerate(zip(cells, widths, styles))
    ).rstrip()


def format_matrix(outcome: Outcome, color: bool = False) -> str:
    """The case x column matrix of max abs errors, its title and its key (as wide as it is)."""
    header = ["case"] + outcome.backends
    rows = [[outcome.cells[case_id, name] for name in outcome.backends] for case_id in outcome.case_ids]
    texts = [header] + [[case_id] + [cell.text for cell in row] for case_id, row in zip(outcome.case_ids, rows)]
    widths = [max(len(row[i]) for row in texts) for i in range(len(header))]
    lines = [
        TITLE,
        _row(header, widths, styles=["header"] * len(header), color=color),
        _row(["-" * w for w in widths], widths, styles=[None] * len(widths), color=color),
    ]
    lines += [_row(text, widths, styles=[None] + [_style(cell) for cell in row], color=color)
              for text, row in zip(texts[1:], rows)]
    wrap = max(72, min(sum(widths) + 2 * (len(widths) - 1), 100))
    lines += textwrap.wrap(KEY, wrap, subsequent_indent="     ")
    if color:
        lines.append("     colors: " + ", ".join(
            f"{name} {_paint(meaning, style, color)}" for name, style, meaning in COLOR_KEY))
    return "\n".join(lines)


# -- the whole view, and the verdict ------------------------------------------------------

def verdict(outcome: Outcome) -> str:
    ran = {name.split(":")[0] for name in outcome.backends[1:]} - set(outcome.skipped)
    word = "DISAGREE" if outcome.failures else "agree"
    return (f"{len(ran)} backend(s) ran {len(outcome.case_ids)} cases and {word}"
            + (f"; {len(outcome.known)} documented difference(s)" if outcome.known else "")
            + (f"; {len(outcome.skipped)} skipped, not passed" if outcome.skipped else ""))


def format_outcome(outcome: Outcome, *, color: bool = False, verbose: bool = False, matrix: bool = False) -> str:
    """The comparison for a terminal (see the module's docstring): at most 120 columns but
    for the matrix, which `matrix` adds at the top."""
    lines = [format_matrix(outcome, color), ""] if matrix else []
    paths = len(outcome.backends) - 1
    backends = len({split_column(column)[0] for column in outcome.backends[1:]})
    lines.append(_fit(f"compared {len(outcome.case_ids)} cases on {backends} backend(s), {paths} path(s), against "
                      "the float64 reference and each other" + ("" if matrix else " (--matrix: every cell)")))
    if outcome.failures:
        lines += _disagreement_lines(outcome, verbose, color)
    lines += _summary_lines(outcome, color)
    if outcome.known:
        lines += _known_lines(outcome, verbose, color)
    for name, reason in outcome.skipped.items():
        lines += textwrap.wrap(f"SKIPPED backend {name}: {reason}", WIDTH, subsequent_indent="    ")
    lines.append(verdict(outcome))
    return "\n".join(lines)


def _number(value: float | None) -> float | None:
    """A float for JSON: None for NaN and infinity (which JSON has not)."""
    return None if value is None or math.isnan(value) or math.isinf(value) else value


def as_json(outcome: Outcome) -> dict[str, Any]:
    """The outcome as data (`compare --json`): counts per backend and path, every
    disagreement the worst first, the documented differences met, the skipped backends."""
    disagreements = []
    for failure in worst_first(outcome.failures):
        backend, path = split_column(failure.backend)
        ratio, label = share_of_tolerance(failure)
        mismatch = failure.mismatch
        disagreements.append({
            "case": failure.case, "backend": backend, "path": path, "column": failure.backend,
            "kind": failure.kind, "against": failure.against or None,
            "field": mismatch.field if mismatch else None,
            "error": _number(mismatch.error) if mismatch else None,
            "tolerance": _number(mismatch.tolerance) if mismatch else None,
            "ratio": _number(ratio), "weight": label, "message": str(failure),
        })
    documented = []
    for known in outcome.known:
        backend, path = split_column(known.backend)
        documented.append({"id": known.name, "case": known.case, "backend": backend, "path": path,
                           "column": known.backend})
    return {
        "verdict": "disagree" if outcome.failures else "agree",
        "summary": verdict(outcome),
        "cases": len(outcome.case_ids),
        "counts": counts(outcome),
        "disagreements": disagreements,
        "documented": documented,
        "documented_ids": sorted({known.name for known in outcome.known}),
        "skipped": dict(outcome.skipped),
    }
