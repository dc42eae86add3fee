"""The comparison page's content, as blocks (`conformance.report.blocks`) read from
`compare`'s Outcome, in the order a reader needs them: the banner (the verdict, naming the
backends and paths that disagree), a summary with one row per backend and path, the
disagreements and documented differences (each a link to its cell of the matrix), the matrix
and its legend, the learning curves (the failing ones first, marked FAIL), the versions, and
what was skipped or does not apply.

Each cell of the matrix is colored by max |error| / tolerance (`Cell.ratio`): a number, not
a pass/fail bit, shows how much of the derived bound a backend uses.
"""

import concurrent.futures
import os
import platform
import re

import numpy as np

from convsuite.conformance.harness import results as results_file, runner, table
from convsuite.conformance.harness.compare import REFERENCE
from convsuite.conformance.report import plots
from convsuite.conformance.report.blocks import Cell, Figure, Heading, Items, Link, Para, Table
from convsuite.spec import cases, reference

# The legend: (style, meaning, highest max |error| / tolerance in the band) for the cells
# that agree, then the styles of the other kinds of cell.
BANDS = [
    ("exact", "exact: bit-identical to the reference", 0.0),
    ("inside", "well inside the tolerance: at most half of it", 0.5),
    ("near", "near the bound: more than half the tolerance", 1.0),
    ("fail", "disagreement: beyond the tolerance, a wrong exception, a missing result, or "
             "against the case's expect (or another backend)", np.inf),
]
OTHER_STYLES = [
    ("raises", "the case raises: the exception type, the same as the reference's"),
    ("known", "a documented framework difference (spec/differences.py): not a pass"),
    ("na", "this path does not compute this op"),
    ("skipped", "the backend was skipped: its framework could not be loaded"),
    ("unchecked", "the reference where the case has no expect: nothing to check it against"),
]
KIND_STYLE = {  # `Cell.kind` -> style, for every kind but "agree" (which its ratio places)
    "fail": "fail", "missing": "fail", "raises": "raises", "known": "known",
    "not-applicable": "na", "skipped": "skipped", "unchecked": "unchecked",
}
SAMPLES = {"exact": Cell("0"), "inside": Cell("7.2e-08", note="0.19 tol"),
           "near": Cell("3.1e-07", note="0.8 tol"), "fail": Cell("4.0e-01 FAIL", note="5e+05 tol"),
           "raises": Cell("ValueError"), "known": Cell("known"), "na": Cell("-"),
           "skipped": Cell("skipped"), "unchecked": Cell("0")}
PATHS = {  # what each path computes, as the README says
    "fast": "the vectorized corr2d and the backend's own Conv2D",
    "builtin": "the framework's own conv layer, with its own padding, stride and dilation",
    "compiled": "the fast corr2d and the learning loop compiled by the framework, where it compiles",
}
NOT_APPLICABLE = {  # why a path leaves an op out
    "learn": "learn runs once, on the fast path: its case's layer field picks the layer",
    "layer": "the compiled path compiles corr2d and the whole learning loop",
    "grad": "the compiled path compiles corr2d and the whole learning loop",
}


# The matrix.

def cell_style(cell):
    """The style of an outcome's cell: its band where it agrees, else its kind's."""
    if cell.kind == "agree":
        return next(style for style, _, highest in BANDS if cell.ratio <= highest)
    return KIND_STYLE[cell.kind]


def _ratio_note(ratio):
    if ratio is None or ratio == 0:
        return ""
    return "∞ tol" if np.isinf(ratio) else f"{ratio:.2g} tol"


def _slug(text):
    return re.sub(r"[^A-Za-z0-9_-]+", "-", text)


def row_anchor(case_id):
    """The anchor of a case's row of the matrix (its first cell)."""
    return f"case-{_slug(case_id)}"


def cell_anchor(case_id, column):
    """The anchor of one cell of the matrix."""
    return f"cell-{_slug(case_id)}--{_slug(column)}"


def plot_anchor(case_id):
    return f"plot-{_slug(case_id)}"


def _matrix_cell(case_id, column, cell, anchored):
    title = f"{case_id} / {column}: {cell.text}"
    if cell.ratio is not None:
        title += f"; max |error| / tolerance = {cell.ratio:.3g}"
    anchor = cell_anchor(case_id, column) if (case_id, column) in anchored else ""
    return Cell(cell.text, cell_style(cell), _ratio_note(cell.ratio), title, anchor)


def matrix(outcome):
    # A case is failing for any disagreement, those between two backends too (no cell shows
    # them: each cell agrees with the reference). Every row, and every cell that a link of
    # the page leads to, carries an anchor.
    failing = outcome.failing_cases()
    anchored = {_target(item) for item in [*outcome.failures, *outcome.known]}
    rows = [[Cell(case_id, "case failing" if case_id in failing else "case", anchor=row_anchor(case_id))]
            + [_matrix_cell(case_id, column, outcome.cells[case_id, column], anchored)
               for column in outcome.backends]
            for case_id in outcome.case_ids]
    return Table(["case"] + outcome.backends, rows, "matrix", scroll=True)


def legend():
    styles = [(style, meaning) for style, meaning, _ in BANDS] + OTHER_STYLES
    rows = [[Cell(SAMPLES[style].text, style, SAMPLES[style].note), meaning]
            for style, meaning in styles]
    return Table(["style", "meaning"], rows, "legend")


# The learning curves: one plot per learn case the reference computes.

def _columns(documents):
    """column -> (path, {case id: result}) for each backend that ran (as `compare` reads them)."""
    return {
        column: (path, {result["id"]: result for result in found})
        for doc in documents if "skipped" not in doc
        for column, path, found in results_file.columns(doc)
    }


def learning_curves(raw_cases, columns, out, failing=None):
    """Write one PNG per learn case the reference computes into `out`; return its figures:
    those of the cases in `failing` (case id -> the columns that disagree on it) first,
    marked FAIL, then the others, each group in the cases' order."""
    failing = failing or {}
    colors = plots.column_colors(columns)
    figures, drawings = [], []
    for raw in raw_cases:
        if raw.get("op") != "learn" or "error" in runner.run_case(reference, raw):
            continue
        runs, missing = {}, []
        for column, (path, by_id) in columns.items():
            result = by_id.get(raw["id"])
            if runner.applies(raw, path):
                if result is not None and "losses" in result:
                    runs[column] = result
                else:
                    missing.append(column)
        file = out / (re.sub(r"[^A-Za-z0-9._-]", "_", raw["id"]) + ".png")
        drawings.append((raw, runs, colors, file))
        caption = f"{raw['id']}: {', '.join(runs) or 'no backend'} and the reference"
        if missing:
            caption += f"; no losses from {', '.join(missing)} (see the matrix)"
        if raw["id"] in failing:
            caption = (f"{raw['id']}: {', '.join(failing[raw['id']])} disagree(s) (see the "
                       f"disagreements); {caption.split(': ', 1)[1]}")
        figures.append(Figure(file, caption, "fail" if raw["id"] in failing else "",
                              plot_anchor(raw["id"])))
    # Drawing is most of a report's time (0.6 s a plot here) and each plot is its own file:
    # one process per core draws them.
    if drawings:
        with concurrent.futures.ProcessPoolExecutor(max_workers=min(len(drawings), os.cpu_count() or 1)) as pool:
            list(pool.map(plots.learn_plot, *zip(*drawings)))  # list(): a drawing's error is raised here
    return sorted(figures, key=lambda figure: figure.style != "fail")  # stable: the cases' order


# The sections around the matrix.

def verdict(outcome):
    """The terminal view's verdict line, that scripts read."""
    line = table.format_outcome(outcome).splitlines()[-1]
    return Para(line, "verdict fail" if outcome.failures or outcome.skipped else "verdict ok")


def _implicated(failure):
    """The columns a disagreement is about: its backend, and for two backends, both."""
    return [failure.backend] + ([failure.against] if failure.kind == "pair" else [])


def _target(item):
    """(case, column) of a Failure's or Known's cell in the matrix."""
    return item.case, item.backend


def failing_columns(outcome):
    """column -> the ids of the cases it disagrees on (matrix order; unknown cases last),
    for each column with a disagreement, in the matrix's order of columns."""
    order = {case_id: i for i, case_id in enumerate(outcome.case_ids)}
    found = {}
    for failure in outcome.failures:
        for column in _implicated(failure):
            found.setdefault(column, set()).add(failure.case)
    columns = [c for c in outcome.backends if c in found] + [c for c in found if c not in outcome.backends]
    return {column: sorted(found[column], key=lambda case: (order.get(case, len(order)), case))
            for column in columns}


def column_label(column):
    """A matrix column in words: the backend and the path."""
    if column == REFERENCE:
        return "reference (against the cases' expect)"
    return column if ":" in column else f"{column} (fast path)"


def _cases(case_ids, shown=3):
    more = len(case_ids) - shown
    listed = ", ".join(case_ids[:shown]) + (f" and {more} more" if more > 0 else "")
    return f"{len(case_ids)} case{'s' if len(case_ids) != 1 else ''}: {listed}"


def banner(outcome):
    """The verdict at the top of the page: which backends and paths disagree, on which
    cases; which were skipped; then the terminal's verdict line."""
    line = verdict(outcome)
    said = [f"{column_label(column)} on {_cases(case_ids)}"
            for column, case_ids in failing_columns(outcome).items()]
    text = ("DISAGREE: " + "; ".join(said) + ". ") if said else ""
    if outcome.skipped:
        text += f"Skipped, not passed: {', '.join(outcome.skipped)}. "
    return Para(text + line.text, line.style, "banner")


SUMMARY_KINDS = {"agree": "agree", "raises": "agree", "known": "documented difference",
                 "fail": "fail", "missing": "fail", "skipped": "skipped",
                 "not-applicable": "not applicable", "unchecked": "not applicable"}
SUMMARY_COLUMNS = ["agree", "documented difference", "fail", "skipped", "not applicable"]
SUMMARY_STYLES = {"documented difference": "known", "fail": "fail", "skipped": "skipped"}


def _path(column):
    if column == REFERENCE:
        return "expect"
    return column.split(":", 1)[1] if ":" in column else "fast"


def summary(outcome):
    """One row per column of the matrix (backend and path): how many cases agree, are a
    documented difference, fail, were skipped or do not apply. A case fails in a column
    where its cell fails or where the column is one of two backends that disagree."""
    failing = failing_columns(outcome)
    rows = []
    for column in outcome.backends:
        counts = dict.fromkeys(SUMMARY_COLUMNS, 0)
        unchecked = 0
        failed = set(failing.get(column, ()))
        for case_id in outcome.case_ids:
            cell = outcome.cells[case_id, column]
            kind = "fail" if case_id in failed else SUMMARY_KINDS[cell.kind]
            counts[kind] += 1
            unchecked += cell.kind == "unchecked" and kind != "fail"
        counts["fail"] += len(failed - set(outcome.case_ids))  # results for unknown cases
        backend = column.split(":", 1)[0]
        path = "all paths" if column in outcome.skipped else _path(column)
        first = failing.get(column, [None])[0]
        row = [Cell(backend, "failing" if failed else ""), Cell(path, "failing" if failed else "")]
        for name in SUMMARY_COLUMNS:
            style = SUMMARY_STYLES.get(name, "") if counts[name] else ""
            link = cell_anchor(first, column) if name == "fail" and first in outcome.case_ids else ""
            note = "unchecked: no expect" if name == "not applicable" and unchecked else ""
            row.append(Cell(str(counts[name]), style, note, link=link))
        rows.append(row)
    return Table(["backend", "path", *SUMMARY_COLUMNS], rows, "summary")


def _item(item, outcome, plotted):
    """A disagreement or documented difference as a link to its cell of the matrix (to its
    row where the column has no cell), and to its learning plot where there is one."""
    case_id, column = _target(item)
    if case_id not in outcome.case_ids:
        return str(item)
    anchor = cell_anchor(case_id, column) if column in outcome.backends else row_anchor(case_id)
    # Its first words name the backend and the case ("backend torch, case ..."): the link.
    who, colon, what = str(item).partition(": ")
    parts = [Link(who, anchor), colon + what]
    if case_id in plotted:
        parts += [" (", Link("its learning plot", plot_anchor(case_id)), ")"]
    return parts


def problems(outcome, plotted=()):
    """The disagreements, by column in the matrix's order, then the documented differences;
    each links to its cell (`plotted`: the learn cases with a plot)."""
    blocks = [Heading("Disagreements and documented differences", "problems")]
    columns = {column: i for i, column in enumerate(outcome.backends)}
    failures = sorted(outcome.failures, key=lambda f: columns.get(f.backend, len(columns)))
    if failures:
        blocks += [Para(f"{len(failures)} disagreement(s), each a link to its cell of the matrix:"),
                   Items([_item(failure, outcome, plotted) for failure in failures], "fail")]
    else:
        blocks.append(Para("No disagreement: every backend is within the tolerance of the "
                           "reference, of the cases' expect and of each other."))
    if outcome.known:
        blocks += [Para(f"{len(outcome.known)} documented framework difference(s), not passes:"),
                   Items([_item(known, outcome, plotted) for known in outcome.known], "known")]
    return blocks


def versions(documents, paths):
    rows = [["reference", reference.versions()["framework"], np.__version__,
             platform.python_version(), "(this report's process)"]]
    for doc, path in zip(documents, paths):
        found = doc.get("versions", {})
        framework = found.get("framework", "not loaded (skipped)" if "skipped" in doc else "?")
        rows.append([doc["backend"], framework, found.get("numpy", "?"),
                     found.get("python", "?"), str(path)])
    return [Heading("Versions", "versions"),
            Table(["run", "framework", "NumPy", "Python", "results file"], rows)]


def skipped_and_paths(outcome, raw_cases):
    blocks = [Heading("Skipped backends and paths that do not apply", "skipped")]
    if outcome.skipped:
        blocks.append(Items([f"{name}: skipped, not passed: {why}"
                             for name, why in outcome.skipped.items()], "skipped"))
    else:
        blocks.append(Para("No backend was skipped."))
    notes = []
    for path, ops in runner.PATHS.items():
        column = "NAME" if path == "fast" else f"NAME:{path}"
        note = f"{column}, the {path} path ({PATHS.get(path, path)}): "
        not_computed = [op for op in cases.INPUTS if op not in ops]
        if not not_computed:
            notes.append(note + "computes every op")
            continue
        why = "; ".join(f"does not compute {op} ({NOT_APPLICABLE.get(op, 'not on this path')})"
                        for op in not_computed)
        count = sum(not runner.applies(raw, path) for raw in raw_cases)
        notes.append(f"{note}{why}: {count} case(s) show - in its columns")
    return blocks + [Items(notes)]


def _cases_failing(outcome):
    """case id -> the columns that disagree on it."""
    found = {}
    for column, case_ids in failing_columns(outcome).items():
        for case_id in case_ids:
            found.setdefault(case_id, []).append(column)
    return found


def _nav(outcome, figures):
    failing_plots = sum(figure.style == "fail" for figure in figures)
    sections = [("summary", "summary"),
                (f"disagreements ({len(outcome.failures)})", "problems"),
                ("matrix", "matrix"),
                (f"learning curves ({failing_plots} failing)" if failing_plots else "learning curves",
                 "learn"),
                ("versions", "versions"), ("skipped and not applicable", "skipped")]
    text = ["Go to: "]
    for i, (name, anchor) in enumerate(sections):
        text += ([" · "] if i else []) + [Link(name, anchor)]
    return Para(text, "nav")


def page(outcome, documents, paths, raw_cases, out):
    """The comparison page's blocks; its plots are written into `out`."""
    figures = learning_curves(raw_cases, _columns(documents), out, _cases_failing(outcome))
    anchors = {figure.anchor for figure in figures}
    plotted = {case_id for case_id in outcome.case_ids if plot_anchor(case_id) in anchors}
    failing_plots = sum(figure.style == "fail" for figure in figures)
    return [
        Heading("convsuite conformance report", "top", 1),
        banner(outcome),
        _nav(outcome, figures),
        Heading("Summary: cases per backend and path", "summary"),
        summary(outcome),
        *problems(outcome, plotted),
        Heading("Matrix: error against the float64 reference, relative to the tolerance", "matrix"),
        Para("Each cell shows the max abs error against the float64 reference (the reference "
             "column: against the case's expect) and, beneath, that error as a share of the "
             "derived tolerance (spec/tolerance.py), which sets the color. NAME is the fast "
             "path, NAME:builtin the framework's own conv layer. A case whose name is red has "
             "a disagreement (possibly between two backends; see the list above). The case "
             "column and the header stay in place while the matrix scrolls."),
        legend(),
        matrix(outcome),
        Heading("Learning curves", "learn"),
        Para("Per learn case: the loss of every backend and of the reference on one log axis; "
             "the reference's kernel entries over the steps, with each backend's final kernel "
             "marked just right of the last step; and each backend's loss error as a share of "
             "its tolerance (the red line)."
             + (f" The {failing_plots} plot(s) of cases with a disagreement come first, "
                "marked FAIL." if failing_plots else "")),
        *figures,
        *versions(documents, paths),
        *skipped_and_paths(outcome, raw_cases),
    ]
