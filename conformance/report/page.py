"""`python -m conformance report`: the comparison as a page a person reads at a glance.

Writes into the output folder index.html (one self-contained file: inline CSS, the plots as
data URIs, no script), index.md (the same content in Markdown, the plots linked) and one PNG
per learn case. The page is built once as a list of blocks (headings, paragraphs, lists,
tables, figures) and rendered twice, so the two files cannot drift apart.

Each cell of the matrix is colored by max |error| / tolerance (`Outcome.ratios`): a number,
not a pass/fail bit, shows how much of the derived bound a backend uses.
"""

import base64
import html
import pathlib
import platform
import re
from dataclasses import dataclass

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure as MplFigure  # no pyplot: no global state, no display

from conformance.harness import compare, results as results_file, runner, table
from spec import cases, reference, tolerance

# The page as blocks; `_html` and `_markdown` render them.

@dataclass
class Cell:
    text: str
    style: str = ""
    note: str = ""  # a second, smaller line (HTML) or a parenthesis (Markdown)
    title: str = ""  # a tooltip, HTML only


@dataclass
class Heading:
    text: str
    anchor: str
    level: int = 2


@dataclass
class Para:
    text: str
    style: str = ""


@dataclass
class Items:
    items: list
    style: str = ""


@dataclass
class Table:
    header: list
    rows: list  # lists of Cell (or str)
    style: str = ""


@dataclass
class Figure:
    file: pathlib.Path
    caption: str


# The legend: (style, meaning, highest max |error| / tolerance in the band), then the cells
# that carry no ratio. Markdown has no colors: a mark before the text stands in for them.
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
SAMPLES = {"exact": Cell("0"), "inside": Cell("7.2e-08", note="0.19 tol"),
           "near": Cell("3.1e-07", note="0.8 tol"), "fail": Cell("4.0e-01 FAIL", note="5e+05 tol"),
           "raises": Cell("ValueError"), "known": Cell("known"), "na": Cell("-"),
           "skipped": Cell("skipped"), "unchecked": Cell("0")}
MARKDOWN_MARK = {"fail": "❌ ", "failing": "❌ ", "near": "⚠️ ", "known": "ℹ️ ",
                 "skipped": "⏸ "}
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


# Reading the outcome.

def _columns(documents):
    """column -> (path, {case id: result}) for each backend that ran (as `compare` reads them)."""
    return {
        column: (path, {result["id"]: result for result in found})
        for doc in documents if "skipped" not in doc
        for column, path, found in results_file.columns(doc)
    }


def _style(outcome, key):
    text, ok = outcome.cells[key]
    if ok is False:
        return "fail"
    if ok is None:
        return {"known": "known", "skipped": "skipped"}.get(text, "na")
    ratio = outcome.ratios.get(key)
    if ratio is None:  # no number measured: both raised, or the reference has no expect
        return "raises" if text[:1].isalpha() else "unchecked"  # an exception's name, or "0"
    return next(style for style, _, highest in BANDS if ratio <= highest)


def _failing_rows(outcome):
    """Cases with any disagreement, those between two backends too (which no cell shows)."""
    return {case_id for case_id in outcome.case_ids
            if any(outcome.cells[case_id, column][1] is False for column in outcome.backends)
            or any(f", case {case_id}:" in failure for failure in outcome.failures)}


def _ratio_note(ratio):
    if ratio is None or ratio == 0:
        return ""
    return "∞ tol" if np.isinf(ratio) else f"{ratio:.2g} tol"


def _matrix(outcome):
    failing = _failing_rows(outcome)
    rows = []
    for case_id in outcome.case_ids:
        row = [Cell(case_id, "case failing" if case_id in failing else "case")]
        for column in outcome.backends:
            key = case_id, column
            text, ratio = outcome.cells[key][0], outcome.ratios.get(key)
            title = f"{case_id} / {column}: {text}"
            if ratio is not None:
                title += f"; max |error| / tolerance = {ratio:.3g}"
            row.append(Cell(text, _style(outcome, key), _ratio_note(ratio), title))
        rows.append(row)
    return Table(["case"] + outcome.backends, rows, "matrix")


def _legend():
    styles = [(style, meaning) for style, meaning, _ in BANDS] + OTHER_STYLES
    rows = [[Cell(SAMPLES[style].text, style, SAMPLES[style].note), meaning]
            for style, meaning in styles]
    return Table(["style", "meaning"], rows, "legend")


# One plot per learn case: losses, the kernel's path, and the loss error against its bound.

def _reference_trajectory(raw, case):
    """The float64 reference's K after 0, 1, ..., steps updates, one row per step: the
    reference rerun with fewer steps, so the path is exactly the one `compare` ends at."""
    steps = case.inputs["steps"]
    later = [runner.run_case(reference, {**raw, "steps": s})["K"] for s in range(1, steps + 1)]
    return np.array([np.ravel(k) for k in [case.inputs["K_init"], *later]], np.float64)


def _learn_plot(raw, runs, colors, path):
    case = cases.parse(raw)
    steps = case.inputs["steps"]
    expected = runner.run_case(reference, raw)
    bound = tolerance.versus_reference(case)["losses"]
    figure = MplFigure(figsize=(13, 3.9), dpi=100)
    FigureCanvasAgg(figure)  # draw with Agg whatever the default backend
    # Fixed margins: a constrained layout would double the time spent drawing.
    losses, kernel, errors = figure.subplots(1, 3, gridspec_kw=dict(
        left=0.055, right=0.99, bottom=0.13, top=0.84, wspace=0.28))
    want = np.asarray(expected["losses"], np.float64)

    losses.plot(np.arange(steps), want, color="0.6", linewidth=5, label="reference (float64)")
    kernel.plot(np.arange(steps + 1), _reference_trajectory(raw, case), color="0.6", linewidth=2)
    for i, (column, result) in enumerate(runs.items()):
        style = dict(color=colors[column], marker="ox^sDv*P"[i % 8], label=column)
        got = np.ravel(np.asarray(result["losses"], np.float64))  # a wrong backend may
        # return another number of losses: plot what it gave, compare only like with like
        losses.plot(np.arange(got.size), got, linestyle=(0, (4, 2 + i)), linewidth=1.3,
                    markersize=4, **style)
        # Final kernels side by side, just after the last step, so none hides another.
        final = np.ravel(np.asarray(result["K"], np.float64))
        kernel.plot(np.full(final.shape, steps + 0.12 * (i + 1)), final, linestyle="none",
                    markersize=5, **style)
        if got.shape == want.shape:
            with np.errstate(all="ignore"):
                share = np.abs(got - want) / bound
            errors.plot(np.arange(steps), np.clip(share, 1e-6, None), linewidth=1.3,
                        markersize=4, **style)

    losses.set(yscale="log", xlabel="step", ylabel="loss (before the step's update)",
               title="loss per step")
    kernel.set(xlabel="step", ylabel="kernel entries",
               title="reference K per step; backends' final K")
    errors.axhline(1.0, color="red", linestyle="--", linewidth=1, label="tolerance")
    errors.set(yscale="log", ylim=(5e-7, None), xlabel="step",
               ylabel="|loss − reference| / tolerance",
               title="loss error / tolerance (exact: at the floor)")
    for axes in (losses, kernel, errors):
        axes.grid(alpha=0.3)
    losses.legend(fontsize=8)
    figure.suptitle(f"{case.id}: {case.dtype}, layer {case.inputs['layer']}, "
                    f"lr {case.inputs['lr']:g}, {steps} steps")
    figure.savefig(path)


def _learn_section(raw_cases, columns, out):
    """Write one PNG per learn case the reference computes; return the blocks showing them."""
    palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf",
               "#bcbd22", "#d62728", "#7f7f7f"]
    colors = {column: palette[i % len(palette)] for i, column in enumerate(columns)}
    blocks = []
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
        _learn_plot(raw, runs, colors, file)
        caption = f"{raw['id']}: {', '.join(runs) or 'no backend'} and the reference"
        if missing:
            caption += f"; no losses from {', '.join(missing)} (see the matrix)"
        blocks.append(Figure(file, caption))
    return blocks


# The sections.

def _verdict(outcome):
    line = table.format_outcome(outcome).splitlines()[-1]  # the terminal view's verdict
    return Para(line, "verdict fail" if outcome.failures or outcome.skipped else "verdict ok")


def _problems(outcome):
    blocks = [Heading("Disagreements and documented differences", "problems")]
    if outcome.failures:
        blocks += [Para(f"{len(outcome.failures)} disagreement(s):"),
                   Items(outcome.failures, "fail")]
    else:
        blocks.append(Para("No disagreement: every backend is within the tolerance of the "
                           "reference, of the cases' expect and of each other."))
    if outcome.known:
        blocks += [Para(f"{len(outcome.known)} documented framework difference(s), not passes:"),
                   Items(outcome.known, "known")]
    return blocks


def _versions(documents, paths):
    rows = [["reference", reference.versions()["framework"], np.__version__,
             platform.python_version(), "(this report's process)"]]
    for doc, path in zip(documents, paths):
        versions = doc.get("versions", {})
        framework = versions.get("framework", "not loaded (skipped)" if "skipped" in doc else "?")
        rows.append([doc["backend"], framework, versions.get("numpy", "?"),
                     versions.get("python", "?"), str(path)])
    return [Heading("Versions", "versions"),
            Table(["run", "framework", "NumPy", "Python", "results file"], rows)]


def _skipped_and_paths(outcome, raw_cases):
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


def _page(outcome, documents, paths, raw_cases, out):
    columns = _columns(documents)
    return [
        Heading("convsuite conformance report", "top", 1),
        _verdict(outcome),
        Heading("Matrix: error against the float64 reference, relative to the tolerance", "matrix"),
        Para("Each cell shows the max abs error against the float64 reference (the reference "
             "column: against the case's expect) and, beneath, that error as a share of the "
             "derived tolerance (spec/tolerance.py), which sets the color. NAME is the fast "
             "path, NAME:builtin the framework's own conv layer. A case whose name is red has "
             "a disagreement (possibly between two backends; see the list below)."),
        _legend(),
        _matrix(outcome),
        *_problems(outcome),
        Heading("Learning curves", "learn"),
        Para("Per learn case: the loss of every backend and of the reference on one log axis; "
             "the reference's kernel entries over the steps, with each backend's final kernel "
             "marked just right of the last step; and each backend's loss error as a share of "
             "its tolerance (the red line)."),
        *_learn_section(raw_cases, columns, out),
        *_versions(documents, paths),
        *_skipped_and_paths(outcome, raw_cases),
    ]


# Rendering.

CSS = """
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; }
th, td { border: 1px solid #ccc; padding: 2px 6px; text-align: left; vertical-align: top; }
th { background: #eee; }
table.matrix th { position: sticky; top: 0; z-index: 1; }
table.matrix td { font: 12px/1.2 ui-monospace, monospace; white-space: nowrap; }
td small { display: block; color: #555; font-size: 10px; }
td.failing { color: #b71c1c; font-weight: bold; border-left: 6px solid #d32f2f; }
td.exact { background: #e8f5e9; }
td.inside { background: #a5d6a7; }
td.near { background: #ffd54f; }
td.fail { background: #d32f2f; color: #fff; font-weight: bold; }
td.fail small { color: #fff; }
td.raises { background: #e3f2fd; color: #0d47a1; font-style: italic; }
td.known { background: #e1bee7; color: #4a148c; font-style: italic; }
td.na { background: #f5f5f5; color: #999; }
td.skipped {
  background: repeating-linear-gradient(45deg, #ddd, #ddd 4px, #f7f7f7 4px, #f7f7f7 8px);
}
td.unchecked { background: #fff; color: #888; }
p.verdict { font-size: 18px; font-weight: bold; padding: 0.4em 0.8em; display: inline-block; }
p.verdict.ok { background: #a5d6a7; }
p.verdict.fail { background: #d32f2f; color: #fff; }
ul.fail li { color: #b71c1c; }
ul.known li { color: #4a148c; }
ul.skipped li { color: #555; font-weight: bold; }
figure { margin: 0 0 1.5em; }
figure img { max-width: 100%; border: 1px solid #ddd; }
"""


def _html_cell(cell, tag="td"):
    cell = cell if isinstance(cell, Cell) else Cell(str(cell))
    attributes = (f' class="{cell.style}"' if cell.style else "") + (
        f' title="{html.escape(cell.title)}"' if cell.title else "")
    note = f"<small>{html.escape(cell.note)}</small>" if cell.note else ""
    return f"<{tag}{attributes}>{html.escape(cell.text)}{note}</{tag}>"


def _html(blocks):
    parts = []
    for block in blocks:
        if isinstance(block, Heading):
            tag = f"h{block.level}"
            parts.append(f'<{tag} id="{block.anchor}">{html.escape(block.text)}</{tag}>')
        elif isinstance(block, Para):
            style = f' class="{block.style}"' if block.style else ""
            parts.append(f"<p{style}>{html.escape(block.text)}</p>")
        elif isinstance(block, Items):
            items = "".join(f"<li>{html.escape(item)}</li>" for item in block.items)
            style = f' class="{block.style}"' if block.style else ""
            parts.append(f"<ul{style}>{items}</ul>")
        elif isinstance(block, Table):
            header = "".join(_html_cell(h, "th") for h in block.header)
            rows = "".join("<tr>" + "".join(map(_html_cell, row)) + "</tr>" for row in block.rows)
            parts.append(f'<table class="{block.style}"><thead><tr>{header}</tr></thead>'
                         f"<tbody>{rows}</tbody></table>")
        elif isinstance(block, Figure):
            data = base64.b64encode(block.file.read_bytes()).decode("ascii")
            parts.append(f'<figure><img alt="{html.escape(block.caption)}" '
                         f'src="data:image/png;base64,{data}">'
                         f"<figcaption>{html.escape(block.caption)}</figcaption></figure>")
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<title>convsuite conformance report</title>"
            f"<style>{CSS}</style></head><body>\n" + "\n".join(parts) + "\n</body></html>\n")


def _md_text(text):
    return str(text).replace("|", "\\|").replace("\n", " ")


def _md_cell(cell):
    cell = cell if isinstance(cell, Cell) else Cell(str(cell))
    text = MARKDOWN_MARK.get(cell.style.split()[-1] if cell.style else "", "") + cell.text
    if cell.style in ("fail", "case failing"):
        text = f"**{text}**"
    return _md_text(text + (f" ({cell.note})" if cell.note else ""))


def _markdown(blocks):
    parts = []
    for block in blocks:
        if isinstance(block, Heading):
            parts.append("#" * block.level + " " + block.text)
        elif isinstance(block, Para):
            parts.append(f"**{block.text}**" if "verdict" in block.style else block.text)
        elif isinstance(block, Items):
            parts.append("\n".join(f"- {item}" for item in block.items))
        elif isinstance(block, Table):
            lines = ["| " + " | ".join(_md_cell(h) for h in block.header) + " |",
                     "|" + " --- |" * len(block.header)]
            lines += ["| " + " | ".join(map(_md_cell, row)) + " |" for row in block.rows]
            parts.append("\n".join(lines))
        elif isinstance(block, Figure):
            parts.append(f"![{block.caption}]({block.file.name})\n\n{block.caption}")
    return "\n\n".join(parts) + "\n"


def _bench_page(path, out):
    """The benchmark's section (chart and tables) from a bench JSON file."""
    import json

    from conformance.report import bench as report_bench

    return report_bench.section(json.loads(pathlib.Path(path).read_text()), out)


def main(args):
    if not args.results and not args.bench:
        raise SystemExit("report needs RESULTS.json files, --bench BENCH.json, or both")
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if not args.results:  # the benchmark alone
        blocks = [Heading("convsuite benchmark", "top", 1), *_bench_page(args.bench, out)]
        (out / "index.html").write_text(_html(blocks), encoding="utf-8")
        (out / "index.md").write_text(_markdown(blocks), encoding="utf-8")
        print(f"wrote {out}/index.html, {out}/index.md and the chart {out}/bench.png")
        return 0
    paths = [pathlib.Path(p) for p in args.results]
    documents = [results_file.read(path) for path in paths]
    raw_cases = cases.load(args.cases or cases.builtin_files())
    outcome = compare.compare(documents, raw_cases)
    blocks = _page(outcome, documents, paths, raw_cases, out)
    if args.bench:
        blocks += _bench_page(args.bench, out)
    (out / "index.html").write_text(_html(blocks), encoding="utf-8")
    (out / "index.md").write_text(_markdown(blocks), encoding="utf-8")
    plots = sum(isinstance(block, Figure) for block in blocks)
    print(f"wrote {out}/index.html, {out}/index.md and {plots} plot(s)")
    print(_verdict(outcome).text)
    # As `compare` without --allow-skipped: a skipped backend is not a pass.
    return 1 if outcome.failures or outcome.skipped else 0
