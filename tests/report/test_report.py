"""The report page as a person sees it: built from real results, rendered by headless Chromium.

The results are made here with the NumPy backend, next to planted documents: one that
disagrees (on the first case, so it sits in the first screenful, and on a learn case's kernel),
one with TensorFlow's documented difference, and one skipped backend. With --report-dir the
same checks open a real report (the main job's) and its results files.
"""

import argparse
import base64
import copy
import glob
import html.parser
import io
import pathlib
import re
import subprocess
import tempfile

import numpy as np
import pytest
from PIL import Image

from convsuite import backends
from convsuite.conformance.harness import results, runner
from convsuite.conformance.report import cli as report
from convsuite.spec import cases, reference

CHROMIUM = pathlib.Path("/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--hide-scrollbars"]
FAIL_RED = np.array([0xD3, 0x2F, 0x2F])  # td.fail's background in conformance.report.render_html.CSS
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def chromium(url, *args):
    """Chromium's stdout for `url`; a fresh profile each time, so nothing carries over."""
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: the report tests need Debian's chromium "
                    "(apt-get update && apt-get install -y chromium)")
    with tempfile.TemporaryDirectory() as profile:
        done = subprocess.run([str(CHROMIUM), *FLAGS, f"--user-data-dir={profile}", *args, url],
                              capture_output=True, text=True, timeout=180)
    assert done.returncode == 0, done.stderr[-2000:]
    return done.stdout


def dump_dom(page):
    return chromium(page.resolve().as_uri(), "--dump-dom")


def screenshot(page, out, size="2800,1400"):  # six backends, three paths each: a wide table
    chromium(page.resolve().as_uri(), f"--screenshot={out}", f"--window-size={size}")
    return np.asarray(Image.open(out).convert("RGB")).astype(int)


class Matrix(html.parser.HTMLParser):
    """The matrix table of a rendered page: header texts and rows of (text, class) cells,
    without the small ratio line under each number."""

    def __init__(self, dom):
        super().__init__()
        self.header, self.rows, self._in, self._cell, self._small = [], [], False, None, 0
        self.feed(dom)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "table":
            self._in = "matrix" in (attrs.get("class") or "").split()
        elif self._in and tag == "tr":
            self.rows.append([])
        elif self._in and tag in ("td", "th"):
            self._cell = [tag, "", attrs.get("class") or ""]
        elif tag == "small":
            self._small += 1

    def handle_endtag(self, tag):
        if tag == "table":
            self._in = False
        elif tag == "small":
            self._small -= 1
        elif self._in and tag in ("td", "th") and self._cell:
            kind, text, style = self._cell
            if kind == "th":
                self.header.append(text)
            else:
                self.rows[-1].append((text, style))
            self._cell = None

    def handle_data(self, data):
        if self._cell and not self._small:
            self._cell[1] += data

    def cell(self, case_id, column):
        row = next(row for row in self.rows if row and row[0][0] == case_id)
        return row[self.header.index(column)]


def expected_columns(documents):
    """Every column a report of `documents` must show: a skipped backend's name, else each path."""
    names = ["reference"]
    for doc in documents:
        names += [doc["backend"]] if "skipped" in doc else [c for c, _, _ in results.columns(doc)]
    return names


def check_pngs(folder, html_text, markdown):
    """Every plot index.md links is a decodable PNG file, and index.html embeds each of them."""
    files = [pathlib.Path(folder) / name for name in re.findall(r"\]\(([^)]+\.png)\)", markdown)]
    embedded = {base64.b64decode(m)
                for m in re.findall(r'src="data:image/png;base64,([^"]+)"', html_text)}
    for file in files:
        data = file.read_bytes()
        assert data.startswith(PNG_SIGNATURE), file
        Image.open(io.BytesIO(data)).verify()  # raises on a truncated or corrupt file
        assert data in embedded, f"{file.name} is not embedded in index.html"
    assert len(embedded) == len(files)
    return files


def check_self_contained(html_text):
    assert "<script" not in html_text.lower()
    for target in re.findall(r'(?:src|href)\s*=\s*"([^"]*)"', html_text):
        assert target.startswith(("data:", "#")), f"external resource {target[:80]}"
    assert "url(" not in re.sub(r"data:[^\"]+", "", html_text)


def check_report(folder, documents, case_ids):
    """What both the built and a real report must show, rendered by Chromium."""
    folder = pathlib.Path(folder)
    page = folder / "index.html"
    html_text = page.read_text(encoding="utf-8")
    markdown = (folder / "index.md").read_text(encoding="utf-8")
    check_self_contained(html_text)
    assert check_pngs(folder, html_text, markdown), "no learning-curve plots"
    matrix = Matrix(dump_dom(page))
    columns = expected_columns(documents)
    assert set(columns) <= set(matrix.header), sorted(set(columns) - set(matrix.header))
    shown = {row[0][0] for row in matrix.rows if row}
    assert set(case_ids) <= shown, sorted(set(case_ids) - shown)
    for name in columns + list(case_ids):
        assert name in markdown, name
    return matrix


# The built report.

def _real_results(request):
    """The main job's results files (--report-results), when it passed them, in the order it
    gave them to the report (its columns' order); a glob's matches sorted."""
    patterns = request.config.getoption("--report-results") or []
    return list(dict.fromkeys(path for pattern in patterns for path in sorted(glob.glob(pattern))))


_RUNS = {}  # one computation per session, shared with test_report_glance.py


def numpy_runs(request, backend, case_files, raw_cases):
    """NumPy's runs of the built-in cases: the main job's own NumPy results when it passed
    them (the same cases, just computed: running them again took 20 s of the main job),
    else computed here, once per session. Callers copy what they change."""
    key = backend.name, tuple(map(str, case_files))
    if key in _RUNS:
        return _RUNS[key]
    for path in _real_results(request):
        document = results.read(path)
        if (document["backend"] == backend.name and "skipped" not in document
                and document["case_files"] == [str(p) for p in case_files]):
            _RUNS[key] = {"results": document["results"], "paths": document["paths"]}
            return _RUNS[key]
    _RUNS[key] = runner.run_paths(backend, raw_cases)
    return _RUNS[key]


@pytest.fixture(scope="module")
def built(tmp_path_factory, request):
    folder = tmp_path_factory.mktemp("report")
    case_files = cases.builtin_files()
    raw_cases = cases.load(case_files)
    backend = backends.load("numpy")
    runs = numpy_runs(request, backend, case_files, raw_cases)
    first = raw_cases[0]["id"]
    learn = next(raw["id"] for raw in raw_cases if raw["op"] == "learn"
                 and "error" not in runner.run_case(reference, raw))

    planted = copy.deepcopy(runs)
    for result in planted["results"]:
        if result["id"] in (first, learn):
            name = "Y" if result["id"] == first else "K"
            result[name] = (np.asarray(result[name]) + 0.5).tolist()
    documented = copy.deepcopy(runs)  # TensorFlow's documented NaN, on NumPy's numbers
    for result in documented["paths"]["builtin"]:
        if result["id"] == "regression-tensorflow-dilated-grad-inf-between-taps":
            result["dK"] = np.full(np.shape(result["dK"]), np.nan).tolist()

    paths = {name: folder / f"{name}.json" for name in ("numpy", "tensorflow", "mxnet", "planted")}
    results.write(paths["numpy"], "numpy", versions=backend.versions(), case_files=case_files, runs=runs)
    results.write(paths["tensorflow"], "tensorflow", versions={"framework": "planted: numpy's results"},
                  case_files=case_files, runs=documented)
    results.write(paths["mxnet"], "mxnet", versions={}, case_files=case_files, skipped="planted: no mxnet here")
    results.write(paths["planted"], "planted", versions={"framework": "planted: numpy, off by 0.5"},
                  case_files=case_files, runs=planted)
    out = folder / "report"
    code = report.main(argparse.Namespace(results=[str(p) for p in paths.values()], cases=None,
                                          bench=None, out=str(out)))
    documents = [results.read(p) for p in paths.values()]
    return argparse.Namespace(out=out, code=code, documents=documents, raw_cases=raw_cases,
                              first=first, learn=learn)


def test_a_disagreement_exits_1_and_still_writes_the_page(built):
    assert built.code == 1
    assert {"index.html", "index.md"} <= {p.name for p in built.out.iterdir()}


def test_the_page_shows_every_column_case_and_style(built):
    matrix = check_report(built.out, built.documents, [raw["id"] for raw in built.raw_cases])
    styles = {style for row in matrix.rows for _, style in row}
    assert {"exact", "inside", "raises", "known", "na", "skipped", "fail"} <= styles
    assert matrix.cell("regression-tensorflow-dilated-grad-inf-between-taps",
                       "tensorflow:builtin") == ("known", "known")
    assert matrix.cell(built.first, "mxnet") == ("skipped", "skipped")


def test_the_planted_disagreement_is_marked_in_the_dom(built):
    matrix = Matrix(dump_dom(built.out / "index.html"))
    for case_id in (built.first, built.learn):
        text, style = matrix.cell(case_id, "planted")
        assert style == "fail" and text.endswith("FAIL")
        assert matrix.cell(case_id, "case") == (case_id, "case failing")
        assert matrix.cell(case_id, "numpy")[1] != "fail"
    markdown = (built.out / "index.md").read_text(encoding="utf-8")
    assert f"backend planted, case {built.first}: Y element" in markdown
    assert f"**❌ {built.first}**" in markdown


def test_the_planted_disagreement_is_red_on_screen(built, tmp_path):
    """Screenshots of the page, and of the same page with only the planted cell's colors
    taken away (its layout kept): what differs must be that one cell, and it must be red."""
    page = built.out / "index.html"
    text = page.read_text(encoding="utf-8")
    cell = re.compile(rf'<td class="fail"( title="{re.escape(built.first)} / planted: )')
    assert len(cell.findall(text)) == 1
    unmarked = built.out / "unmarked.html"
    uncolored = r'<td class="fail" style="background: none; color: inherit"\1'
    unmarked.write_text(cell.sub(uncolored, text), encoding="utf-8")
    try:
        shown = screenshot(page, built.out.parent / "screenshot.png")
        plain = screenshot(unmarked, tmp_path / "plain.png")
    finally:
        unmarked.unlink()
    # Red in the page and not in the uncolored one: one cell-sized patch, and no more.
    painted = red(shown) & ~red(plain)
    assert painted.sum() > 1000, "the planted cell is not painted red in the first screenful"
    rows, cols = np.nonzero(painted)
    assert rows.max() - rows.min() < 60 and cols.max() - cols.min() < 250, "more than one cell"


def red(image):
    return (np.abs(image - FAIL_RED) <= 8).all(axis=2)


def test_one_plot_per_learn_case_the_reference_computes(built):
    learn = [raw["id"] for raw in built.raw_cases if raw["op"] == "learn"
             and "error" not in runner.run_case(reference, raw)]
    pngs = {p.stem for p in built.out.glob("*.png")}
    assert pngs == set(learn)
    with Image.open(built.out / f"{built.learn}.png") as image:
        assert image.format == "PNG" and image.size[0] >= 800 and image.size[1] >= 300
        # Not blank: a plot has many colors (axes, curves, markers, text).
        assert len(image.convert("RGB").getcolors(1 << 20)) > 20


# A real report (the main job's), when asked for.

def test_the_real_report_shows_every_backend_and_case(request):
    folder = request.config.getoption("--report-dir")
    if folder is None:
        pytest.skip("no --report-dir: the built report above is checked instead")
    paths = _real_results(request) or sorted(glob.glob("results/*.json"))
    assert paths, f"no results files match {request.config.getoption('--report-results') or ['results/*.json']}"
    documents = [results.read(path) for path in paths]
    case_ids = {result["id"] for doc in documents if "skipped" not in doc
                for _, _, found in results.columns(doc) for result in found}
    check_report(folder, documents, case_ids)
