"""`python -m conformance report`: the comparison as a page a person reads at a glance.

Writes into the output folder index.html (self-contained), index.md (the same blocks in
Markdown, the plots linked) and the plots' PNG files: one per learn case, and bench.png
with --bench. The comparison page and the benchmark's section are built apart and know
nothing of each other; this composes them into one page, or the benchmark alone.

Every input is read, and refused with one line naming it (`results.ResultsFileError`),
before anything is drawn: the pages (and matplotlib) are imported only then.
"""

import json
import pathlib

from convsuite.conformance.harness import compare, results as results_file
from convsuite.conformance.report.blocks import Figure, Heading
from convsuite.spec import cases

# What `bench` writes at the top of bench/results.json, and what each holds.
BENCH_FIELDS = {"backends": dict, "sizes": dict, "floor": dict, "machine": dict, "targets": list, "ratios": list}


def _write(blocks, out):
    from convsuite.conformance.report import render_html, render_markdown

    (out / "index.html").write_text(render_html.render(blocks), encoding="utf-8")
    (out / "index.md").write_text(render_markdown.render(blocks), encoding="utf-8")


def _bench_document(path):
    """bench/results.json as `bench` writes it; ResultsFileError naming the file otherwise."""
    try:
        document = json.loads(pathlib.Path(path).read_bytes().decode("utf-8"))
    except OSError as exc:
        raise results_file.ResultsFileError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    except (ValueError, RecursionError) as exc:
        raise results_file.ResultsFileError(f"{path}: not JSON, or cut short ({exc})") from None
    if not isinstance(document, dict):
        raise results_file.ResultsFileError(f"{path}: not a bench results file (written by 'bench')")
    for field, kind in BENCH_FIELDS.items():
        if not isinstance(document.get(field), kind):
            raise results_file.ResultsFileError(
                f"{path}: not a bench results file (written by 'bench'): {field} is not a {kind.__name__}")
    rows = [*document["targets"], *document["ratios"], *document["backends"].values()]
    if not all(isinstance(row, dict) for row in rows):
        raise results_file.ResultsFileError(f"{path}: not a bench results file: its targets, ratios and backends "
                                            "are objects")
    return document


def _benchmark(path, document, out):
    from convsuite.conformance.report import benchmark_page

    try:
        return benchmark_page.section(document, out)
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:  # a field lacking or of a wrong kind
        raise results_file.ResultsFileError(f"{path}: not a bench results file ({type(exc).__name__}: {exc})") from None


def _tabs(path):
    """A chapter's tabs (`tabs --out`'s JSON) as the page's blocks; ResultsFileError naming the file."""
    from convsuite.conformance.report import chapter_page

    try:
        document = json.loads(pathlib.Path(path).read_bytes().decode("utf-8"))
        return chapter_page.section(document), document["verdict"] == "AGREE"
    except OSError as exc:
        raise results_file.ResultsFileError(f"{path}: cannot read it ({exc.strerror or exc})") from None
    except (ValueError, RecursionError, KeyError, TypeError, AttributeError) as exc:
        raise results_file.ResultsFileError(f"{path}: not a tabs document (written by 'tabs --out'): "
                                            f"{type(exc).__name__}: {exc}") from None


def main(args):
    chapter, agree = _tabs(args.tabs) if getattr(args, "tabs", None) else ([], True)
    if chapter and not args.results and not args.bench:  # a chapter's tabs alone
        out = pathlib.Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        _write([Heading("convsuite tabs", "top", 1), *chapter], out)
        print(f"wrote {out}/index.html and {out}/index.md")
        return 0 if agree else 1
    if not args.results and not args.bench:
        raise SystemExit("report needs RESULTS.json files, --bench BENCH.json, or both")
    bench = _bench_document(args.bench) if args.bench else None
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if not args.results:  # the benchmark alone
        _write([Heading("convsuite benchmark", "top", 1), *_benchmark(args.bench, bench, out)], out)
        print(f"wrote {out}/index.html, {out}/index.md and the chart {out}/bench.png")
        return 0
    paths = [pathlib.Path(p) for p in args.results]
    documents = results_file.read_all(paths)
    raw_cases = cases.load(args.cases or cases.builtin_files())
    from convsuite.conformance.report import comparison_page

    outcome = compare.compare(documents, raw_cases)
    blocks = comparison_page.page(outcome, documents, paths, raw_cases, out)
    if args.bench:
        blocks += _benchmark(args.bench, bench, out)
    blocks += chapter
    _write(blocks, out)
    plots = sum(isinstance(block, Figure) for block in blocks)
    print(f"wrote {out}/index.html, {out}/index.md and {plots} plot(s)")
    print(comparison_page.banner(outcome).text)
    # As `compare` without --allow-skipped: a skipped backend is not a pass.
    return 1 if outcome.failures or outcome.skipped or not agree else 0
