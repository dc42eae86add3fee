"""Benchmark: every corr2d form and the learning loop, one framework process after another.

    python -m conformance bench --python numpy=python3 --python torch=.../bin/python ...

The parent (this process, NumPy only) measures the machine's floor, before and after the
workers, keeping the best: the bandwidth of a large copy and the rate of a float32 matrix
product. In between it starts one worker per backend (`conformance.bench.worker`, in that
backend's environment), one at a time, so that no two frameworks share the cores. A worker
times

- its import (the backend module: framework, NumPy, `spec`), then every built-in case
  through each path of `conformance.runner` as `run_paths` runs them, cold (first use,
  compiling included) and again warm;
- corr2d per size along each path: "loop" (the lesson's loops; above LOOP_LIMIT iterations
  estimated from the largest size it ran), "fast", "builtin" (the framework's own conv
  layer), "compiled" (where the backend has one), and the fast and compiled forms with a
  1x1 kernel (one offset's pass: what kh*kw offsets cannot go below); in turns, so that
  load that comes and goes hits every path alike; the first call apart (compiling,
  allocating), with its peak memory (VmHWM after `echo 5 > /proc/self/clear_refs`);
- the lesson's 10-step kernel-learning loop per layer kind, eager and compiled, beside a
  bare loop written the lesson's way in the framework itself (the backend's `bare_loop`); and the cost of a tiny op and
  of a tiny compiled call.

Medians are wall-clock seconds; `summarize` turns them into the ratios the targets state
and everything goes to bench/results.json. On a shared machine compare ratios from one
run, not absolute times across runs.
"""

import json
import math
import os
import pathlib
import subprocess
import sys
import tempfile
import time

from conformance.harness.environment import ROOT, worker_environment

# name -> (X shape, K shape); the last is the multi-channel case (C_in = C_out = 32).
SIZES = {
    "6x8/1x2": ((6, 8), (1, 2)),
    "64x64/3x3": ((64, 64), (3, 3)),
    "256x256/3x3": ((256, 256), (3, 3)),
    "1024x1024/5x5": ((1024, 1024), (5, 5)),
    "4096x4096/5x5": ((4096, 4096), (5, 5)),
    "32ch-64x64/3x3": ((32, 64, 64), (32, 32, 3, 3)),
}
# The loop form runs up to this many (output element, input channel, output channel)
# triples, one Python iteration each (64x64/3x3 has 62*62); above, it is estimated.
LOOP_LIMIT = 64 * 64
LEARN_CASES = {"builtin": "learn-edge-builtin", "custom": "learn-edge-custom"}
# The workers' OpenMP threads (torch, MXNet) sleep while idle instead of spinning: on a shared
# machine a spinning thread takes the core its partner needs, and a 25-op corr2d then took
# 20-60x longer in some runs (export OMP_WAIT_POLICY=ACTIVE to measure the default).
WORKER_ENV = {"OMP_WAIT_POLICY": "PASSIVE"}


# ---- shapes and the floor --------------------------------------------------------------

def _geometry(x_shape, k_shape):
    from spec.shapes import conv_geometry

    return conv_geometry(x_shape, k_shape, 0, 1, 1)


def work(x_shape, k_shape):
    """Bytes a corr2d must move (float32 input, kernel and output, each once), its flops
    (a multiply and an add per tap) and its loop iterations (output elements times channel pairs)."""
    g = _geometry(x_shape, k_shape)
    outputs = g.out4[0] * g.out4[1] * g.out4[2] * g.out4[3]
    taps = g.k4[1] * g.k4[2] * g.k4[3]
    inputs, kernel = math.prod(x_shape), math.prod(k_shape)
    return {"bytes": 4 * (inputs + kernel + outputs), "flops": 2 * outputs * taps,
            "loop_iterations": outputs * g.k4[1], "input_bytes": 4 * inputs, "output_bytes": 4 * outputs}


def floor_seconds(bytes_moved, flops, floor):
    """The time no implementation can beat here: moving the bytes at copy bandwidth, or doing
    the flops at the matrix-product rate, whichever takes longer."""
    return max(bytes_moved / floor["copy_bytes_per_s"], flops / floor["matmul_flops_per_s"])


def measure_floor(copy_mib=256, matmul_n=2048, rounds=7):
    """The machine's best copy bandwidth (bytes read + written per second) and float32 matmul
    rate in NumPy: the fastest of `rounds` runs, since a floor is what the hardware can do."""
    import numpy as np

    src = np.ones(copy_mib << 18, np.float32)
    dst = np.zeros_like(src)  # touched, so the copy measures bandwidth, not page faults
    copy = _fastest(lambda: np.copyto(dst, src), rounds)
    fresh = _fastest(lambda: src.copy(), rounds)  # a new array: its pages are faulted in too
    rng = np.random.default_rng(0)
    A, B = (rng.random((matmul_n, matmul_n), dtype=np.float32) for _ in range(2))
    C = np.empty_like(A)
    matmul = _fastest(lambda: np.matmul(A, B, out=C), rounds)
    return {"copy_bytes_per_s": 2 * src.nbytes / copy, "fresh_copy_bytes_per_s": 2 * src.nbytes / fresh,
            "matmul_flops_per_s": 2 * matmul_n**3 / matmul, "copy_mib": copy_mib, "matmul_n": matmul_n,
            "numpy": np.__version__}


def best_floor(*floors):
    """The higher rates of several floor measurements (taken before and after the workers)."""
    rates = ("copy_bytes_per_s", "fresh_copy_bytes_per_s", "matmul_flops_per_s")
    return {**floors[0], **{rate: max(floor[rate] for floor in floors) for rate in rates},
            "measurements": list(floors)}


def _fastest(call, rounds):
    call()
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return min(times)


# ---- the parent: the floor, the workers one by one, the summary ----------------------------

def run_worker(name, python, sizes, budget):
    with tempfile.TemporaryDirectory() as folder:
        out = pathlib.Path(folder) / "worker.json"
        command = [python, "-m", "conformance.bench.worker", name, "--out", str(out),
                   "--budget", str(budget), "--sizes", *sizes]
        env = worker_environment(name, extra=WORKER_ENV)
        began, load = time.time(), os.getloadavg()[0]
        done = subprocess.run(command, cwd=ROOT, env=env, stdout=sys.stderr)
        if done.returncode != 0 or not out.exists():
            return {"backend": name, "error": f"worker exited with {done.returncode}"}
        document = json.loads(out.read_text())
    return {**document, "started": began, "ended": time.time(), "load_before": load,
            "load_after": os.getloadavg()[0]}


def _estimate_loops(document):
    """Loop rows for the sizes the loop did not run: seconds per iteration at the largest size it
    ran, times the iterations."""
    rows = document["corr2d"]
    measured = [r for r in rows if r["path"] == "loop" and "median_s" in r]
    if not measured:
        return
    per_iteration = {}
    for r in measured:
        per_iteration[r["size"]] = r["median_s"] / work(*SIZES[r["size"]])["loop_iterations"]
    basis = max(per_iteration, key=lambda s: work(*SIZES[s])["loop_iterations"])
    for size in sorted({r["size"] for r in rows} - set(per_iteration)):
        iterations = work(*SIZES[size])["loop_iterations"]
        rows.append({"backend": document["backend"], "size": size, "path": "loop", "estimated": True,
                     "median_s": per_iteration[basis] * iterations, "estimated_from": basis})


def summarize(document):
    """Ratios and targets from the measurements (pure arithmetic: no timing here)."""
    floor, ratios, targets = document["floor"], [], []

    def target(what, backend, value, limit, unit=""):
        targets.append({"target": what, "backend": backend, "value": value, "limit": limit,
                        "met": value is not None and value <= limit, "unit": unit})

    for name, doc in document["backends"].items():
        if "error" in doc:
            targets.append({"target": "worker ran", "backend": name, "met": False, "value": doc["error"]})
            continue
        by = {(r["size"], r["path"]): r for r in doc["corr2d"]}
        for size in dict.fromkeys(r["size"] for r in doc["corr2d"]):
            t = {path: by.get((size, path), {}).get("median_s")
                 for path in ("loop", "fast", "builtin", "compiled")}
            measured = {path: s for path, s in t.items()
                        if s is not None and not by[size, path].get("estimated")}
            w = work(*SIZES[size])
            best = min(measured, key=measured.get) if measured else None
            row = {"backend": name, "size": size, "floor_s": floor_seconds(w["bytes"], w["flops"], floor),
                   "fast_over_native": _ratio(t["fast"], t["builtin"]),
                   "compiled_over_native": _ratio(t["compiled"], t["builtin"]),
                   "loop_over_fast": _ratio(t["loop"], t["fast"]), "best_path": best,
                   "best_over_floor": None}
            row["best_over_floor"] = _ratio(measured.get(best), row["floor_s"])
            one_pass = by.get((size, "fast-1x1"), {}).get("median_s")
            if one_pass is not None:  # kh*kw passes: what the fast form cannot go below
                passes = one_pass * math.prod(SIZES[size][1])
                row.update(fast_over_passes=_ratio(t["fast"], passes),
                           passes_over_native=_ratio(passes, t["builtin"]),
                           one_pass_over_floor=_ratio(one_pass, row["floor_s"]))
            compiled_one = by.get((size, "compiled-1x1"), {}).get("median_s")
            if compiled_one is not None:  # a one-tap compiled program: call, allocation, one pass
                row["compiled_over_one_tap"] = _ratio(t["compiled"], compiled_one)
            fast = by.get((size, "fast"), {})
            if fast.get("peak_bytes") is not None:
                in_out = w["input_bytes"] + w["output_bytes"]
                row["fast_peak_over_in_out"] = (w["input_bytes"] + fast["peak_bytes"]) / in_out
            ratios.append(row)
            if size in ("256x256/3x3", "1024x1024/5x5"):
                target(f"fast / native corr2d at {size}", name, row["fast_over_native"], 1.0, "x")
            if size == "1024x1024/5x5":
                target(f"best path ({best}) / floor at {size}", name, row["best_over_floor"], 3.0, "x")
            if size == "4096x4096/5x5" and "fast_peak_over_in_out" in row:
                target(f"fast path peak memory / (input + output) at {size}", name,
                       row["fast_peak_over_in_out"], 3.0, "x")
        learn = {(r["layer"], r["path"]): r["median_s"] for r in doc["learn"]}
        for layer in LEARN_CASES:
            if (layer, "compiled") in learn:
                target(f"10-step learning loop, compiled, {layer} layer", name,
                       learn[layer, "compiled"] * 1e3, 1.0, "ms")
            target(f"10-step learning loop, eager / bare lesson loop, {layer} layer", name,
                   _ratio(learn.get((layer, "eager")), learn.get((layer, "bare"))), 3.0, "x")
        target("all built-in cases (cold) / framework import", name,
               _ratio(doc["cases"]["cold_s"], doc["import_s"]), 1.5, "x")
    document.update(ratios=ratios, targets=targets)
    return document


def _ratio(a, b):
    return None if a is None or b is None else a / b


def _fmt(seconds):
    return "-" if seconds is None else f"{seconds * 1e3:.3g}"


def _x(value):
    return "-" if value is None else f"{value:.2f}x"


def table(document):
    lines = [f"floor: copy {document['floor']['copy_bytes_per_s'] / 1e9:.1f} GB/s (read + write), "
             f"float32 matmul {document['floor']['matmul_flops_per_s'] / 1e9:.1f} GFLOP/s; "
             "times are medians in ms; ~ marks an estimate"]
    header = ["backend", "size", "loop", "fast", "native", "compiled", "floor", "fast/native", "best/floor",
              "loop/fast", "taps*pass/native", "compiled/1-tap"]
    rows = [header]
    for ratio in document["ratios"]:
        doc = document["backends"][ratio["backend"]]
        cell = {}
        for r in doc["corr2d"]:
            if r["size"] == ratio["size"]:
                value = "error" if "error" in r else _fmt(r.get("median_s"))
                cell[r["path"]] = ("~" if r.get("estimated") else "") + value
        rows.append([ratio["backend"], ratio["size"], cell.get("loop", "-"), cell.get("fast", "-"),
                     cell.get("builtin", "-"), cell.get("compiled", "-"), _fmt(ratio["floor_s"]),
                     _x(ratio["fast_over_native"]), _x(ratio["best_over_floor"]) + f" {ratio['best_path']}",
                     _x(ratio["loop_over_fast"]), _x(ratio.get("passes_over_native")),
                     _x(ratio.get("compiled_over_one_tap"))])
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(header))]
    lines += ["  ".join(str(c).ljust(w) for c, w in zip(row, widths)).rstrip() for row in rows]
    lines.append("taps*pass: kh*kw times the fast form with a 1x1 kernel (one offset's pass over the "
                 "output); compiled/1-tap: against the compiled form with a 1x1 kernel (call, allocation, "
                 "one pass)")
    lines.append("learning loop (ms per 10 steps): layer eager compiled bare | import s, all cases "
                 "cold/warm s (cold per path) | tiny op, tiny compiled call ms | peak RSS MiB")
    for name, doc in document["backends"].items():
        if "error" in doc:
            lines.append(f"{name}: {doc['error']}")
            continue
        learn = {(r["layer"], r["path"]): r["median_s"] for r in doc["learn"]}
        parts = [f"{layer} {_fmt(learn.get((layer, 'eager')))} {_fmt(learn.get((layer, 'compiled')))} "
                 f"{_fmt(learn.get((layer, 'bare')))}" for layer in LEARN_CASES]
        by_path = " ".join(f"{p} {t:.2f}" for p, t in doc["cases"]["cold_by_path_s"].items())
        calls = doc["calls"]
        lines.append(f"{name}: " + "; ".join(parts) + f" | import {doc['import_s']:.2f}, cases "
                     f"{doc['cases']['cold_s']:.2f}/{doc['cases']['warm_s']:.2f} ({by_path}) | "
                     f"{_fmt(calls.get('tiny_op_s'))} {_fmt(calls.get('tiny_compiled_call_s'))} | "
                     f"peak {doc['peak_rss_bytes'] / 2**20:.0f}")
    lines.append("targets:")
    for t in document["targets"]:
        value = t["value"] if isinstance(t["value"], str) else (
            "-" if t["value"] is None else f"{t['value']:.2f}{t.get('unit', '')}")
        lines.append(f"  {'met    ' if t['met'] else 'NOT MET'} {t['backend']}: {t['target']}: {value}"
                     + (f" (limit {t['limit']}{t.get('unit', '')})" if "limit" in t else ""))
    return "\n".join(lines)


def main(args):
    sizes = args.sizes or list(SIZES)
    unknown = set(sizes) - set(SIZES)
    if unknown:
        raise SystemExit(f"unknown size(s) {sorted(unknown)}; choose from {list(SIZES)}")
    print(f"[bench] floor: {args.copy_mib} MiB copy, {args.matmul_n}^2 float32 matmul, before and after "
          "the workers", file=sys.stderr)
    document = {"sizes": {s: {"X": SIZES[s][0], "K": SIZES[s][1], **work(*SIZES[s])} for s in sizes},
                "machine": {"cpus": os.cpu_count(), "python": sys.version.split()[0],
                            "load_average": os.getloadavg()},
                "budget_s": args.budget, "loop_limit": LOOP_LIMIT,
                "worker_env": {name: os.environ.get(name, value) for name, value in WORKER_ENV.items()},
                "backends": {}}
    before = measure_floor(args.copy_mib, args.matmul_n)
    for spec in args.python:  # one after another: frameworks side by side fight over the cores
        name, python = spec.split("=", 1)
        print(f"[bench] {name} ({python})", file=sys.stderr)
        document["backends"][name] = run_worker(name, python, sizes, args.budget)
        if "error" not in document["backends"][name]:
            _estimate_loops(document["backends"][name])
    document["floor"] = best_floor(before, measure_floor(args.copy_mib, args.matmul_n))
    summarize(document)
    out = pathlib.Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(document, indent=1) + "\n")
    print(table(document))
    print(f"[bench] wrote {out}")
    return 0


def add_arguments(parser):
    parser.add_argument("--python", action="append", required=True, metavar="NAME=PYTHON",
                        help="a backend and the Python of its environment (repeat per backend; run in turn)")
    parser.add_argument("--sizes", nargs="+", metavar="SIZE",
                        help=f"sizes to time (default all: {list(SIZES)})")
    parser.add_argument("--budget", type=float, default=2.0,
                        help="seconds of timed runs per size and path group (default 2; at least 3 rounds)")
    parser.add_argument("--copy-mib", type=int, default=256, help="the floor's copy size (default 256 MiB)")
    parser.add_argument("--matmul-n", type=int, default=2048, help="the floor's matmul size (default 2048)")
    parser.add_argument("--out", default="bench/results.json", help="where the JSON goes")
