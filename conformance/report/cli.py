"""`python -m conformance report`: the comparison as a page a person reads at a glance.

Writes into the output folder index.html (self-contained), index.md (the same blocks in
Markdown, the plots linked) and the plots' PNG files: one per learn case, and bench.png
with --bench. The comparison page and the benchmark's section are built apart and know
nothing of each other; this composes them into one page, or the benchmark alone.
"""

import json
import pathlib

from convsuite.conformance.harness import compare, results as results_file
from convsuite.conformance.report import benchmark_page, comparison_page, render_html, render_markdown
from convsuite.conformance.report.blocks import Figure, Heading
from convsuite.spec import cases


def _write(blocks, out):
    (out / "index.html").write_text(render_html.render(blocks), encoding="utf-8")
    (out / "index.md").write_text(render_markdown.render(blocks), encoding="utf-8")


def _benchmark(path, out):
    return benchmark_page.section(json.loads(pathlib.Path(path).read_text()), out)


def main(args):
    if not args.results and not args.bench:
        raise SystemExit("report needs RESULTS.json files, --bench BENCH.json, or both")
    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    if not args.results:  # the benchmark alone
        _write([Heading("convsuite benchmark", "top", 1), *_benchmark(args.bench, out)], out)
        print(f"wrote {out}/index.html, {out}/index.md and the chart {out}/bench.png")
        return 0
    paths = [pathlib.Path(p) for p in args.results]
    documents = [results_file.read(path) for path in paths]
    raw_cases = cases.load(args.cases or cases.builtin_files())
    outcome = compare.compare(documents, raw_cases)
    blocks = comparison_page.page(outcome, documents, paths, raw_cases, out)
    if args.bench:
        blocks += _benchmark(args.bench, out)
    _write(blocks, out)
    plots = sum(isinstance(block, Figure) for block in blocks)
    print(f"wrote {out}/index.html, {out}/index.md and {plots} plot(s)")
    print(comparison_page.banner(outcome).text)
    # As `compare` without --allow-skipped: a skipped backend is not a pass.
    return 1 if outcome.failures or outcome.skipped else 0
