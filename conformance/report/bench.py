"""The benchmark's section of the report: bench/results.json as a chart and two tables.

One PNG of small multiples: per size, every backend's median time along each corr2d path
on one log axis, the machine's floor drawn across; then the 10-step learning loop per
layer kind, eager, compiled and the bare lesson loop, with the 1 ms target. The tables are
the targets (met or not, with their limits) and the ratios `conformance.bench.summarize`
computed: the report only draws what the benchmark measured.
"""

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure as MplFigure

from conformance.bench.run import LEARN_CASES
from conformance.report.page import Cell, Figure, Heading, Para, Table

PATH_STYLE = {  # path -> (label, color)
    "loop": ("loop (lesson)", "#bdbdbd"),
    "fast": ("fast", "#1f77b4"),
    "builtin": ("native conv", "#ff7f0e"),
    "compiled": ("compiled", "#2ca02c"),
}
LEARN_STYLE = {"eager": ("eager", "#1f77b4"), "compiled": ("compiled", "#2ca02c"),
               "bare": ("bare lesson loop", "#ff7f0e")}


def _bars(axes, groups, series, styles, hatch_estimates=None):
    """Grouped bars: one group per backend, one bar per series present; log y."""
    width = 0.8 / len(series)
    for i, key in enumerate(series):
        label, color = styles[key]
        xs, heights, hatches = [], [], []
        for g, values in enumerate(groups.values()):
            if values.get(key) is not None:
                xs.append(g + (i - (len(series) - 1) / 2) * width)
                heights.append(values[key])
                hatches.append("//" if hatch_estimates and hatch_estimates(values, key) else "")
        bars = axes.bar(xs, heights, width, color=color, label=label)
        for bar, hatch in zip(bars, hatches):
            bar.set_hatch(hatch)
    axes.set_xticks(range(len(groups)), list(groups), fontsize=8)
    axes.set_yscale("log")
    axes.grid(axis="y", alpha=0.3)


def plot(document, path):
    """Write the chart; return its caption."""
    backends = [name for name, doc in document["backends"].items() if "error" not in doc]
    sizes = list(document["sizes"])
    floors = {r["size"]: r["floor_s"] for r in document["ratios"]}
    columns = 4
    rows = -(-(len(sizes) + len(LEARN_CASES)) // columns)
    figure = MplFigure(figsize=(4.2 * columns, 3.4 * rows), dpi=90)
    FigureCanvasAgg(figure)
    grid = figure.subplots(rows, columns, squeeze=False,
                           gridspec_kw=dict(left=0.05, right=0.99, bottom=0.06, top=0.86,
                                            wspace=0.3, hspace=0.45)).ravel()
    for axes, size in zip(grid, sizes):
        groups = {}
        for name in backends:
            rows_ = {r["path"]: r for r in document["backends"][name]["corr2d"] if r["size"] == size}
            groups[name] = {p: r.get("median_s", 0) * 1e3 or None for p, r in rows_.items() if p in PATH_STYLE}
            groups[name]["_estimated"] = {p for p, r in rows_.items() if r.get("estimated")}
        _bars(axes, groups, list(PATH_STYLE), PATH_STYLE,
              hatch_estimates=lambda values, key: key in values["_estimated"])
        if size in floors:
            axes.axhline(floors[size] * 1e3, color="red", linestyle="--", linewidth=1, label="floor")
            axes.axhline(3 * floors[size] * 1e3, color="red", linestyle=":", linewidth=1, label="3x floor")
        axes.set_title(f"corr2d {size}", fontsize=10)
        axes.set_ylabel("median ms (log)", fontsize=8)
    for axes, layer in zip(grid[len(sizes):], LEARN_CASES):
        groups = {name: {r["path"]: r["median_s"] * 1e3 for r in document["backends"][name]["learn"]
                         if r["layer"] == layer} for name in backends}
        _bars(axes, groups, list(LEARN_STYLE), LEARN_STYLE)
        axes.axhline(1.0, color="red", linestyle="--", linewidth=1, label="1 ms target")
        axes.set_title(f"10-step learning loop, {layer} layer", fontsize=10)
        axes.set_ylabel("median ms (log)", fontsize=8)
        axes.legend(fontsize=7)
    for axes in grid[len(sizes) + len(LEARN_CASES):]:
        axes.set_visible(False)
    figure.legend(*grid[0].get_legend_handles_labels(), loc="upper center", ncol=6, fontsize=8,
                  bbox_to_anchor=(0.5, 0.95), frameon=False)
    floor = document["floor"]
    figure.suptitle(f"Medians per call on {document['machine']['cpus']} cores; floor: copy "
                    f"{floor['copy_bytes_per_s'] / 1e9:.1f} GB/s, float32 matmul "
                    f"{floor['matmul_flops_per_s'] / 1e9:.0f} GFLOP/s (hatched: loop estimated)")
    figure.savefig(path)
    return (f"corr2d along each path and the learning loop, per backend ({', '.join(backends)}); "
            "red dashes: the floor (corr2d) or the 1 ms target (learning loop)")


def _x(value):
    return "-" if value is None else f"{value:.2f}x"


def _target_cells(target):
    value = target["value"]
    text = value if isinstance(value, str) else ("-" if value is None else f"{value:.2f}{target.get('unit', '')}")
    limit = f"{target['limit']}{target.get('unit', '')}" if "limit" in target else ""
    verdict = Cell("met", "inside") if target["met"] else Cell("NOT MET", "fail")
    return [target["backend"], target["target"], text, limit, verdict]


def section(document, out):
    """The blocks of the benchmark section, its chart written into `out`."""
    chart = out / "bench.png"
    caption = plot(document, chart)
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
    blocks += [
        Heading("Targets", "bench-targets", 3),
        Table(["backend", "target", "measured", "limit", "verdict"],
              [_target_cells(t) for t in document["targets"]]),
        Heading("Ratios", "bench-ratios", 3),
        Table(["backend", "size", "fast / native", "compiled / native", "best / floor", "best path",
               "loop / fast", "kh*kw passes / native", "fast peak / (in + out)"],
              [[r["backend"], r["size"], _x(r["fast_over_native"]), _x(r["compiled_over_native"]),
                _x(r["best_over_floor"]), r["best_path"] or "-", _x(r["loop_over_fast"]),
                _x(r.get("passes_over_native")), _x(r.get("fast_peak_over_in_out"))]
               for r in document["ratios"]]),
    ]
    return blocks

