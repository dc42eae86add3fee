"""The report's plots, drawn with matplotlib into PNG files: one per learn case, and the
benchmark's chart. No pyplot: no global state, no display; each figure draws with Agg
whatever the default backend. The pages' content calls these and shows the files as
figures; it never touches matplotlib itself.
"""

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from convsuite.conformance.bench.work import LEARN_CASES
from convsuite.conformance.harness import runner
from convsuite.spec import cases, reference, tolerance

PALETTE = ["#1f77b4", "#ff7f0e", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf",
           "#bcbd22", "#d62728", "#7f7f7f"]
MARKERS = "ox^sDv*P"
PATH_STYLE = {  # bench path -> (label, color)
    "loop": ("loop (lesson)", "#bdbdbd"),
    "fast": ("fast", "#1f77b4"),
    "builtin": ("native conv", "#ff7f0e"),
    "compiled": ("compiled", "#2ca02c"),
}
LEARN_STYLE = {"eager": ("eager", "#1f77b4"), "compiled": ("compiled", "#2ca02c"),
               "bare": ("bare lesson loop", "#ff7f0e")}


def column_colors(columns):
    """One color per matrix column, the same in every learn plot."""
    return {column: PALETTE[i % len(PALETTE)] for i, column in enumerate(columns)}


def _figure(**size):
    figure = Figure(**size)
    FigureCanvasAgg(figure)
    return figure


# One plot per learn case: losses, the kernel's path, and the loss error against its bound.

def _reference_trajectory(raw, case):
    """The float64 reference's K after 0, 1, ..., steps updates, one row per step: the
    reference rerun with fewer steps, so the path is exactly the one `compare` ends at."""
    steps = case.inputs["steps"]
    later = [runner.run_case(reference, {**raw, "steps": s})["K"] for s in range(1, steps + 1)]
    return np.array([np.ravel(k) for k in [case.inputs["K_init"], *later]], np.float64)


def learn_plot(raw, runs, colors, path):
    """Write the plot of learn case `raw`: `runs` is column -> result (with losses)."""
    case = cases.parse(raw)
    steps = case.inputs["steps"]
    expected = runner.run_case(reference, raw)
    bound = tolerance.versus_reference(case)["losses"]
    figure = _figure(figsize=(13, 3.9), dpi=100)
    # Fixed margins: a constrained layout would double the time spent drawing.
    losses, kernel, errors = figure.subplots(1, 3, gridspec_kw=dict(
        left=0.055, right=0.99, bottom=0.13, top=0.84, wspace=0.28))
    want = np.asarray(expected["losses"], np.float64)

    losses.plot(np.arange(steps), want, color="0.6", linewidth=5, label="reference (float64)")
    kernel.plot(np.arange(steps + 1), _reference_trajectory(raw, case), color="0.6", linewidth=2)
    for i, (column, result) in enumerate(runs.items()):
        style = dict(color=colors[column], marker=MARKERS[i % len(MARKERS)], label=column)
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
    figure.suptitle(f"{case.id}: {case.dtype}, layer {raw['layer']}, "
                    f"lr {case.inputs['lr']:g}, {steps} steps")
    figure.savefig(path)


# The benchmark: per size, every backend's median time along each corr2d path on one log
# axis, the machine's floor drawn across; then the learning loop per form.

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


def _corr2d_axes(axes, document, backends, size, floor_s):
    groups = {}
    for name in backends:
        rows = {r["path"]: r for r in document["backends"][name]["corr2d"] if r["size"] == size}
        # No median (or 0) draws no bar: a log axis has no place for it.
        groups[name] = {p: r.get("median_s", 0) * 1e3 or None
                        for p, r in rows.items() if p in PATH_STYLE}
        # Paths whose time the benchmark estimated rather than measured: drawn hatched.
        groups[name]["_estimated"] = {p for p, r in rows.items() if r.get("estimated")}
    _bars(axes, groups, list(PATH_STYLE), PATH_STYLE,
          hatch_estimates=lambda values, key: key in values["_estimated"])
    if floor_s is not None:
        axes.axhline(floor_s * 1e3, color="red", linestyle="--", linewidth=1, label="floor")
        axes.axhline(3 * floor_s * 1e3, color="red", linestyle=":", linewidth=1, label="3x floor")
    axes.set_title(f"corr2d {size}", fontsize=10)
    axes.set_ylabel("median ms (log)", fontsize=8)


def _learn_axes(axes, document, backends, path):
    groups = {name: {r["run"]: r["median_s"] * 1e3 for r in document["backends"][name]["learn"]
                     if r["path"] == path} for name in backends}
    _bars(axes, groups, list(LEARN_STYLE), LEARN_STYLE)
    axes.axhline(1.0, color="red", linestyle="--", linewidth=1, label="1 ms target")
    axes.set_title(f"10-step learning loop, {path} path", fontsize=10)
    axes.set_ylabel("median ms (log)", fontsize=8)
    axes.legend(fontsize=7)


def bench_chart(document, path):
    """Write the benchmark's chart (bench/results.json as `document`); return its caption."""
    backends = [name for name, doc in document["backends"].items() if "error" not in doc]
    sizes = list(document["sizes"])
    floors = {r["size"]: r["floor_s"] for r in document["ratios"]}
    columns = 4
    rows = -(-(len(sizes) + len(LEARN_CASES)) // columns)
    figure = _figure(figsize=(4.2 * columns, 3.4 * rows), dpi=90)
    grid = figure.subplots(rows, columns, squeeze=False,
                           gridspec_kw=dict(left=0.05, right=0.99, bottom=0.06, top=0.86,
                                            wspace=0.3, hspace=0.45)).ravel()
    for axes, size in zip(grid, sizes):
        _corr2d_axes(axes, document, backends, size, floors.get(size))
    for axes, layer_path in zip(grid[len(sizes):], LEARN_CASES):
        _learn_axes(axes, document, backends, layer_path)
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
