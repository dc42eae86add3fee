"""The comparison report: HTML and Markdown pages, with plots and the benchmark's chart.

- `blocks`: the page model (headings, paragraphs, lists, tables, cells, figures);
- `render_html`, `render_markdown`: the two renderings of one list of blocks;
- `plots`: the matplotlib figures (learning curves, the benchmark's chart);
- `comparison_page`: what `compare` found, as blocks; `benchmark_page`: the benchmark's;
- `cli`: `python -m conformance report`, composing the pages and writing the files.
"""
