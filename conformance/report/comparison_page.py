"""The comparison page's content: the verdict, the matrix and its legend, the disagreements
and documented differences, the learning curves, the versions, and what was skipped or does
not apply, as blocks (`conformance.report.blocks`) read from `compare`'s Outcome.

Each cell of the matrix is colored by max |error| / tolerance (`Cell.ratio`): a number, not
a pass/fail bit, shows how much of the derived bound a backend uses.
"""

import concurrent.futures
import os
import platform
import re

import numpy as np

from convsuite.conformance.harness import results as results_file, runner, table
from convsuite.conformance.report import plots
from convsuite.conformance.report.blocks import Cell, Figure, Heading, Items, Para, Table
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


def _matrix_cell(case_id, column, cell):
    title = f"{case_id} / {column}: {cell.text}"
    if cell.ratio is not None:
        title += f"; max |error| / tolerance = {cell.ratio:.3g}"
    return Cell(cell.text, cell_style(cell), _ratio_note(cell.ratio), title)


def matrix(outcome):
    # A case is failing for any disagreement, those between two backends too (no cell shows
    # them: each cell agrees with the reference).
    failing = outcome.failing_cases()
    rows = [[Cell(case_id, "case failing" if case_id in failing else "case")]
            + [_matrix_cell(case_id, column, outcome.cells[case_id, column])
               for column in outcome.backends]
            for case_id in outcome.case_ids]
    return Table(["case"] + outcome.backends, rows, "matrix")


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


def learning_curves(raw_cases, columns, out):
    """Write one PNG per learn case the reference computes into `out`; return its figures."""
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
        figures.append(Figure(file, caption))
    # Drawing is most of a report's time (0.6 s a plot here) and each plot is its own file:
    # one process per core draws them.
    if drawings:
        with concurrent.futures.ProcessPoolExecutor(max_workers=min(len(drawings), os.cpu_count() or 1)) as pool:
            list(pool.map(plots.learn_plot, *zip(*drawings)))  # list(): a drawing's error is raised here
    return figures


# The sections around the matrix.

def verdict(outcome):
    line = table.format_outcome(outcome).splitlines()[-1]  # the terminal view's verdict
    return Para(line, "verdict fail" if outcome.failures or outcome.skipped else "verdict ok")


def problems(outcome):
    blocks = [Heading("Disagreements and documented differences", "problems")]
    if outcome.failures:
        blocks += [Para(f"{len(outcome.failures)} disagreement(s):"),
                   Items([str(failure) for failure in outcome.failures], "fail")]
    else:
        blocks.append(Para("No disagreement: every backend is within the tolerance of the "
                           "reference, of the cases' expect and of each other."))
    if outcome.known:
        blocks += [Para(f"{len(outcome.known)} documented framework difference(s), not passes:"),
                   Items([str(known) for known in outcome.known], "known")]
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


def page(outcome, documents, paths, raw_cases, out):
    """The comparison page's blocks; its plots are written into `out`."""
    return [
        Heading("convsuite conformance report", "top", 1),
        verdict(outcome),
        Heading("Matrix: error against the float64 reference, relative to the tolerance", "matrix"),
        Para("Each cell shows the max abs error against the float64 reference (the reference "
             "column: against the case's expect) and, beneath, that error as a share of the "
             "derived tolerance (spec/tolerance.py), which sets the color. NAME is the fast "
             "path, NAME:builtin the framework's own conv layer. A case whose name is red has "
             "a disagreement (possibly between two backends; see the list below)."),
        legend(),
        matrix(outcome),
        *problems(outcome),
        Heading("Learning curves", "learn"),
        Para("Per learn case: the loss of every backend and of the reference on one log axis; "
             "the reference's kernel entries over the steps, with each backend's final kernel "
             "marked just right of the last step; and each backend's loss error as a share of "
             "its tolerance (the red line)."),
        *learning_curves(raw_cases, _columns(documents), out),
        *versions(documents, paths),
        *skipped_and_paths(outcome, raw_cases),
    ]
