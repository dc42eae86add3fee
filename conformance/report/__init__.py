"""The comparison report: HTML and Markdown pages, with plots and the benchmark's chart."""
