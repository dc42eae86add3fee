"""The benchmark page's content: bench/results.json as a chart and two tables.

The chart (`plots.bench_chart`) shows every backend's medians per size and path, and the
learning loop; the tables are the targets (met or not, with their limits) and the ratios
`conformance.bench.summarize` computed: the report only draws what the benchmark measured.
"""

from convsuite.conformance.report import plots
from convsuite.conformance.report.blocks import Cell, Figure, Heading, Para, Table

RATIO_COLUMNS = ["backend", "size", "fast / native", "compiled / native", "best / floor",
                 "best path", "loop / fast", "kh*kw passes / native", "fast peak / (in + out)"]


def _times(value):
    return "-" if value is None else f"{value:.2f}x"


def _target_row(target):
    value, unit = target["value"], target.get("unit", "")
    measured = value if isinstance(value, str) else ("-" if value is None else f"{value:.2f}{unit}")
    limit = f"{target['limit']}{unit}" if "limit" in target else ""
    verdict = Cell("met", "inside") if target["met"] else Cell("NOT MET", "fail")
    return [target["backend"], target["target"], measured, limit, verdict]


def _ratio_row(r):
    return [r["backend"], r["size"], _times(r["fast_over_native"]),
            _times(r["compiled_over_native"]), _times(r["best_over_floor"]), r["best_path"] or "-",
            _times(r["loop_over_fast"]), _times(r.get("passes_over_native")),
            _times(r.get("fast_peak_over_in_out"))]


def section(document, out):
    """The blocks of the benchmark section, its chart written into `out`."""
    chart = out / "bench.png"
    caption = plots.bench_chart(document, chart)
    failed = {name: doc["error"] for name, doc in document["backends"].items() if "error" in doc}
    blocks = [
        Heading("Benchmark", "bench"),
        Para("From bench/results.json (nox -s bench): medians of wall-clock time, one framework "
             "process after another on this machine. Ratios come from that one run; absolute "
             "times from different runs do not compare."),
        Figure(chart, caption),
    ]
    if failed:
        blocks.append(Para("Backends whose benchmark did not run: "
                           + "; ".join(f"{n}: {why}" for n, why in failed.items()), "verdict fail"))
    return blocks + [
        Heading("Targets", "bench-targets", 3),
        Table(["backend", "target", "measured", "limit", "verdict"],
              [_target_row(t) for t in document["targets"]]),
        Heading("Ratios", "bench-ratios", 3),
        Table(RATIO_COLUMNS, [_ratio_row(r) for r in document["ratios"]]),
    ]
