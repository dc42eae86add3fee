"""The report at a glance, as a reader opens it on a 1,400 x 900 screen (issue 24).

One planted disagreement: one backend's last path (the matrix's last column, off-screen at
1,400 px) is wrong on one case in the middle of the ~275 rows. From the first screen alone
the reader must tell which backend, path and case: the banner names them, the summary's row
counts the failure, and the disagreement (a link into its cell) is listed right below. The
matrix scrolls in a box of its own, its case column and header fixed; the link lands on the
cell, clear of both. Failing learning plots come first, marked FAIL; index.md has the same
order.

The results: six backends' worth of columns, like the real report, from NumPy's runs under
other names (or, with --report-results, the main job's real files), one value of the last
one's changed far beyond its tolerance. Positions come from Chromium itself: a copy of the
page with a measuring script (tests only; the page has none) writes getBoundingClientRect()s
into the DOM, which --dump-dom returns.
"""

import argparse
import copy
import glob
import html
import json
import pathlib
import re

import numpy as np
import pytest
from PIL import Image

from convsuite import backends
from convsuite.conformance.harness import results, runner
from convsuite.conformance.report import cli as report
from convsuite.spec import cases, reference

from test_report import FAIL_RED, _real_results, chromium, expected_columns, numpy_runs, red

WINDOW = "1400,900"
TWINS = 5  # NumPy and five copies: 6 backends x 3 paths, the width of the real matrix

# Measures the page in Chromium once it has loaded (and scrolled to the URL's #anchor):
# the first screen as it opens, the cell the URL points at, then the matrix's box scrolled
# right and down. The results go into <pre id="measure"> as JSON.
MEASURE = """
addEventListener('load', () => setTimeout(() => {
  const box = e => { if (!e) return null; const r = e.getBoundingClientRect();
    return {left: r.left, top: r.top, right: r.right, bottom: r.bottom}; };
  const texts = cells => [...cells].map(td => td.firstChild ? td.firstChild.textContent : '');
  const scroller = document.querySelector('div.scroll');
  const heads = scroller.querySelectorAll('thead th');
  const found = {width: innerWidth, height: innerHeight, scrollY: scrollY,
    pageWidth: document.documentElement.scrollWidth};
  const banner = document.getElementById('banner');
  found.banner = {...box(banner), text: banner.textContent};
  found.summary = [...document.querySelectorAll('table.summary tbody tr')].map(tr =>
    ({...box(tr), cells: texts(tr.cells), links: [...tr.querySelectorAll('a')].map(a => a.getAttribute('href'))}));
  found.summaryHeader = texts(document.querySelectorAll('table.summary thead th'));
  found.disagreements = [...document.querySelectorAll('ul.fail li')].map(li =>
    ({...box(li), text: li.textContent, links: [...li.querySelectorAll('a')].map(a => a.getAttribute('href'))}));
  found.matrix = box(scroller);
  found.figures = [...document.querySelectorAll('figure')].map(f =>
    ({id: f.id, className: f.className, caption: f.querySelector('figcaption').textContent,
      border: getComputedStyle(f).borderTopColor, borderWidth: getComputedStyle(f).borderTopWidth}));
  const target = location.hash && document.getElementById(decodeURIComponent(location.hash.slice(1)));
  if (target) {
    const row = target.parentElement;
    found.target = {...box(target), className: target.className,
      text: target.firstChild.textContent, case: row.cells[0].firstChild.textContent,
      column: heads[target.cellIndex].textContent, caseCell: box(row.cells[0]), head: box(heads[0]),
      hit: document.elementFromPoint((box(target).left + box(target).right) / 2,
                                     (box(target).top + box(target).bottom) / 2).closest('td') === target};
  }
  // Scroll the matrix's box right to its end and down to its middle, the box at the top
  // of the window: what shows at its left edge and at its top?
  scroller.scrollIntoView({block: 'start'});
  scroller.scrollLeft = scroller.scrollWidth;
  scroller.scrollTop = scroller.scrollHeight / 2;
  const frame = box(scroller);
  const at = (x, y) => { const e = document.elementFromPoint(x, y); const cell = e && e.closest('td, th');
    return cell && {tag: cell.tagName, index: cell.cellIndex, text: cell.firstChild.textContent, ...box(cell)}; };
  found.scrolled = {frame: frame, scrollLeft: scroller.scrollLeft,
    scrollable: scroller.scrollWidth - scroller.clientWidth,
    left: at(frame.left + 8, (frame.top + frame.bottom) / 2), top: at((frame.left + frame.right) / 2, frame.top + 8),
    lastHead: {...box(heads[heads.length - 1]), text: heads[heads.length - 1].textContent}};
  const pre = document.createElement('pre');
  pre.id = 'measure';
  pre.textContent = JSON.stringify(found);
  document.body.appendChild(pre);
}, 0));
"""


def measure(page, anchor=""):
    """What MEASURE finds in `page` at a 1,400 x 900 window (opened at #anchor if given)."""
    copied = page.with_name("measure-" + page.name)
    text = page.read_text(encoding="utf-8")
    copied.write_text(text.replace("</body>", f"<script>{MEASURE}</script></body>"), encoding="utf-8")
    try:
        dom = chromium(copied.resolve().as_uri() + anchor, f"--window-size={WINDOW}",
                       "--virtual-time-budget=5000", "--dump-dom")
    finally:
        copied.unlink()
    found = re.search(r'<pre id="measure">(.*?)</pre>', dom, re.S)
    assert found, "the measuring script did not run"
    return json.loads(html.unescape(found.group(1)))


def on_first_screen(box, found):
    return 0 <= box["top"] and box["bottom"] <= found["height"] and box["right"] <= found["width"]


# The planted disagreement.

def column_results(document, column):
    path = column.split(":", 1)[1] if ":" in column else None
    return document["results"] if path is None else document["paths"][path]


def plant(document, column):
    """A copy of `document` in which `column` is wrong on one case near the middle: the
    first element of its Y, far past any tolerance. Returns the copy and the case's id."""
    document = {**document, "paths": dict(document.get("paths", {}))}
    found = column_results(document, column)
    middle = len(found) // 2
    for i in [*range(middle, len(found)), *range(middle)]:
        y = found[i].get("Y")
        if isinstance(y, list) and np.size(y) and np.isfinite(np.asarray(y, float)).all():
            wrong = np.asarray(y, float)
            wrong.flat[0] += 1 + np.abs(wrong).max()
            found = [*found[:i], {**found[i], "Y": wrong.tolist()}, *found[i + 1:]]
            if ":" in column:
                document["paths"][column.split(":", 1)[1]] = found
            else:
                document["results"] = found
            return document, found[i]["id"]
    raise AssertionError(f"{column} has no result with a finite Y to plant a disagreement in")


def sources(request, folder, case_files, raw_cases):
    """The results files to plant in: the main job's (--report-results), else NumPy's runs
    and TWINS copies of them under other names."""
    real = _real_results(request)
    if real:
        return [pathlib.Path(p) for p in real]
    backend = backends.load("numpy")
    runs = numpy_runs(request, backend, case_files, raw_cases)
    paths = [folder / "numpy.json"]
    results.write(paths[0], "numpy", versions=backend.versions(), case_files=case_files, runs=runs)
    text = paths[0].read_text()
    for i in range(1, TWINS + 1):  # the same file under another name: no second encoding
        paths.append(folder / f"numpy-twin-{i}.json")
        paths[-1].write_text(text.replace('"backend": "numpy"', f'"backend": "numpy-twin-{i}"', 1))
    return paths


def light(document):
    """A results document without its results: what `expected_columns` reads."""
    if "skipped" in document:
        return document
    return {**document, "results": [], "paths": {path: [] for path in document.get("paths", {})}}


@pytest.fixture(scope="module")
def glance(tmp_path_factory, request):
    folder = tmp_path_factory.mktemp("glance")
    case_files = cases.builtin_files()
    raw_cases = cases.load(case_files)
    paths = sources(request, folder, case_files, raw_cases)
    documents = [light(results.read(p)) for p in paths]  # names and paths only: 20 MB each
    which = max(i for i, doc in enumerate(documents) if "skipped" not in doc)
    column = [c for c, _, _ in results.columns(documents[which])][-1]
    document, case_id = plant(results.read(paths[which]), column)
    paths[which] = folder / f"planted-{document['backend']}.json"
    paths[which].write_text(json.dumps(document))
    out = folder / "report"
    code = report.main(argparse.Namespace(results=[str(p) for p in paths], cases=None,
                                          bench=None, out=str(out)))
    return argparse.Namespace(out=out, page=out / "index.html", code=code, column=column,
                              case=case_id, documents=documents, raw_cases=raw_cases,
                              found=measure(out / "index.html"))


def test_the_planted_disagreement_is_the_only_one(glance):
    assert glance.code == 1
    assert len(glance.found["disagreements"]) == 1
    assert glance.column == expected_columns(glance.documents)[-1], "not the last column"
    index = [raw["id"] for raw in glance.raw_cases].index(glance.case)
    assert 50 < index < len(glance.raw_cases) - 50, "not in the middle of the matrix"


def test_the_banner_names_the_backend_path_and_case_on_the_first_screen(glance):
    found = glance.found
    banner = found["banner"]
    assert on_first_screen(banner, found), banner
    assert glance.column in banner["text"], banner["text"]
    assert glance.case in banner["text"], banner["text"]
    assert "DISAGREE" in banner["text"]


def test_the_summary_counts_the_failure_on_the_first_screen(glance):
    found = glance.found
    header = found["summaryHeader"]
    assert header == ["backend", "path", "agree", "documented difference", "fail", "skipped",
                      "not applicable"]
    rows = {(row["cells"][0] if row["cells"][1] in ("fast", "expect", "all paths")
             else f"{row['cells'][0]}:{row['cells'][1]}"): row for row in found["summary"]}
    assert list(rows) == expected_columns(glance.documents)  # one row per backend and path
    fail = header.index("fail")
    for name, row in rows.items():
        counts = [int(n) for n in row["cells"][2:]]
        assert sum(counts) == len(glance.raw_cases), (name, counts)
        assert counts[fail - 2] == (1 if name == glance.column else 0), (name, counts)
    planted = rows[glance.column]
    assert on_first_screen(planted, found), planted
    assert planted["links"] and planted["links"][0].startswith("#cell-")


def test_the_disagreement_is_listed_on_the_first_screen_with_a_link_to_its_cell(glance):
    found = glance.found
    item, = found["disagreements"]
    assert on_first_screen(item, found), item
    assert glance.column in item["text"] and glance.case in item["text"], item["text"]
    link = item["links"][0]
    assert [link] == [href for row in found["summary"] for href in row["links"]]  # the same cell
    # Followed, the link shows that cell: inside the window, clear of the fixed case column
    # and header, the planted case's row and column, red.
    opened = measure(glance.page, link)
    target = opened["target"]
    assert target["case"] == glance.case and target["column"] == glance.column, target
    assert target["className"] == "fail" and target["text"].endswith("FAIL"), target
    assert target["hit"], "the cell is under something else"
    assert target["left"] >= target["caseCell"]["right"] - 1, "hidden under the case column"
    assert target["top"] >= target["head"]["bottom"] - 1, "hidden under the header"
    assert on_first_screen(target, opened), target


def test_the_matrix_fits_the_window_and_keeps_its_case_column_and_header(glance):
    found = glance.found
    assert found["pageWidth"] <= found["width"], "the page scrolls sideways"
    assert found["matrix"]["right"] <= found["width"]
    scrolled = found["scrolled"]
    assert scrolled["scrollable"] > 300, "the matrix is not wider than its box: nothing tested"
    assert scrolled["scrollLeft"] >= scrolled["scrollable"] - 1
    frame, left, top = scrolled["frame"], scrolled["left"], scrolled["top"]
    # Scrolled right and down, the box's left edge still shows a case's name ...
    assert left["tag"] == "TD" and left["index"] == 0, left
    assert left["text"] in {raw["id"] for raw in glance.raw_cases}, left
    assert abs(left["left"] - frame["left"]) <= 2, left
    # ... its top edge the header, and the last column is in view.
    assert top["tag"] == "TH" and abs(top["top"] - frame["top"]) <= 2, top
    assert scrolled["lastHead"]["text"] == glance.column
    assert scrolled["lastHead"]["right"] <= frame["right"] + 1


def test_the_first_screen_shows_the_red_banner(glance):
    """The screenshot a reader sees first (kept beside the report: first-screen.png)."""
    shot = glance.out / "first-screen.png"
    chromium(glance.page.resolve().as_uri(), f"--screenshot={shot}", f"--window-size={WINDOW}")
    image = np.asarray(Image.open(shot).convert("RGB")).astype(int)
    banner = glance.found["banner"]
    inside = image[int(banner["top"]) + 2:int(banner["bottom"]) - 2,
                   int(banner["left"]) + 2:int(banner["right"]) - 2]
    assert red(inside).mean() > 0.6, "the banner is not red on the screen"


def test_the_markdown_has_the_summary_and_the_disagreement_first(glance):
    markdown = (glance.out / "index.md").read_text(encoding="utf-8")
    summary, problems, matrix = (markdown.index(f"## {h}") for h in ("Summary", "Disagreements", "Matrix"))
    assert summary < problems < matrix
    top = markdown[:summary]
    assert glance.column in top and glance.case in top  # the banner
    backend, _, path = glance.column.partition(":")
    assert re.search(rf"\| ❌ {re.escape(backend)} \| ❌ {re.escape(path or 'fast')} \|.*\*\*❌ 1\*\*",
                     markdown[summary:problems]), "no failing summary row"
    item = f"- backend {glance.column}, case {glance.case}: Y element"
    assert problems < markdown.index(item) < matrix


# The learning plots: a failing one first, marked.

@pytest.fixture(scope="module")
def learning(tmp_path_factory, request):
    """Three learn cases; a twin of NumPy wrong on the last one's kernel."""
    folder = tmp_path_factory.mktemp("learning")
    learn = [raw for raw in cases.load() if raw["op"] == "learn"
             and "error" not in runner.run_case(reference, raw)][:3]
    case_file = folder / "cases.json"
    case_file.write_text(json.dumps({"cases": learn}))
    backend = backends.load("numpy")
    runs = runner.run_paths(backend, learn)
    wrong = copy.deepcopy(runs)
    for result in wrong["results"]:
        if result["id"] == learn[-1]["id"]:
            result["K"] = (np.asarray(result["K"]) + 0.5).tolist()
    paths = [folder / "numpy.json", folder / "numpy-twin.json"]
    results.write(paths[0], "numpy", versions=backend.versions(), case_files=[case_file], runs=runs)
    results.write(paths[1], "numpy-twin", versions=backend.versions(), case_files=[case_file], runs=wrong)
    out = folder / "report"
    code = report.main(argparse.Namespace(results=[str(p) for p in paths], cases=[str(case_file)],
                                          bench=None, out=str(out)))
    return argparse.Namespace(out=out, code=code, ids=[raw["id"] for raw in learn],
                              found=measure(out / "index.html"))


def test_a_failing_learning_plot_comes_first_marked_fail(learning):
    assert learning.code == 1
    figures = learning.found["figures"]
    assert [f["id"] for f in figures] == [f"plot-{i}" for i in [learning.ids[-1], *learning.ids[:-1]]]
    first, *others = figures
    assert first["className"] == "fail" and first["caption"].startswith("FAIL"), first
    assert "numpy-twin" in first["caption"]
    assert first["border"] == "rgb({}, {}, {})".format(*FAIL_RED) and first["borderWidth"] == "4px"
    assert all(f["className"] == "" and "FAIL" not in f["caption"] for f in others)
    # The disagreement links to its plot as well as to its cell.
    item, = learning.found["disagreements"]
    assert f"#plot-{learning.ids[-1]}" in item["links"]
    markdown = (learning.out / "index.md").read_text(encoding="utf-8")
    plots = re.findall(r"^!\[(.*?)\]\((.*?)\.png\)$", markdown, re.M)
    assert [name for _, name in plots] == [learning.ids[-1], *learning.ids[:-1]]
    assert plots[0][0].startswith("❌ FAIL") and not any("FAIL" in c for c, _ in plots[1:])


# A real report (the main job's), when asked for.

def test_the_real_report_at_a_glance(request):
    folder = request.config.getoption("--report-dir")
    if folder is None:
        pytest.skip("no --report-dir: the planted report above is checked instead")
    paths = _real_results(request) or sorted(glob.glob("results/*.json"))
    documents = [results.read(path) for path in paths]
    found = measure(pathlib.Path(folder) / "index.html")
    assert on_first_screen(found["banner"], found)
    assert found["pageWidth"] <= found["width"]
    names = [row["cells"][0] if row["cells"][1] in ("fast", "expect", "all paths")
             else f"{row['cells'][0]}:{row['cells'][1]}" for row in found["summary"]]
    assert names == expected_columns(documents)
    left = found["scrolled"]["left"]
    assert left["tag"] == "TD" and left["index"] == 0, left
