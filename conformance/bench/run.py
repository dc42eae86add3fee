"""Benchmark: every corr2d path and the learning loop, one framework process after another.

    python -m conformance bench --python numpy=python3 --python torch=.../bin/python ...

The parent (this process, NumPy only) measures the machine's floor, before and after the
workers, keeping the best: the bandwidth of a large copy and the rate of a float32 matrix
product. In between it starts one worker per backend (`conformance.bench.worker`, in that
backend's environment), one at a time, so that no two frameworks share the cores. A worker
times

- its import (the backend module: framework, NumPy, `spec`), then every built-in case
  through each path of `conformance.runner` as `run_paths` runs them, cold (first use,
  compiling included) and again warm; the import and the cold cases again in fresh
  processes (`--starts` in all), for their spread;
- corr2d per size along each path: "loop" (the lesson's loops; above LOOP_LIMIT iterations
  estimated from the largest size it ran), "fast", "builtin" (the framework's own conv
  layer), "compiled" (where the backend has one), and the fast and compiled forms with a
  1x1 kernel (one offset's pass: what kh*kw offsets cannot go below); in turns, so that
  load that comes and goes hits every path alike; the first call apart (compiling,
  allocating), with its peak memory (VmHWM after `echo 5 > /proc/self/clear_refs`); then the
  fastest path and the compiled one again alone in a loop, as the floor and the peers are
  timed, for the targets that compare with them;
- the lesson's 10-step kernel-learning loop per path (its layer), eager and compiled, beside a
  bare loop written the lesson's way in the framework itself (the backend's `bare_loop`); and the cost of a tiny op and
  of a tiny compiled call.

A worker that dies (a signal, an abort in its framework) or passes its deadline on one step
(`conformance.harness.workers.CASE_DEADLINE_S`) is reported with what it was running, its
signal and what it printed last; the case it ran is written as a regression case file
(`--failures`). The bench goes on with the next backend and exits 1.

Medians are wall-clock seconds; `summarize` turns them into the ratios the targets state
and everything goes to bench/results.json. On a shared machine compare ratios from one
run, not absolute times across runs.
"""

import json
import os
import pathlib
import sys
import tempfile
import time

from convsuite.conformance.bench.peers import PEERS, time_peers
from convsuite.conformance.bench.summary import summarize, table, verification
from convsuite.conformance.bench.work import LOOP_LIMIT, SIZES, best_floor, measure_floor, work
from convsuite.conformance.harness.environment import worker_environment
from convsuite.conformance.harness.workers import CASE_DEADLINE_S, Child, Death

# The workers' OpenMP threads (torch, MXNet) sleep while idle instead of spinning: on a shared
# machine a spinning thread takes the core its partner needs, and a 25-op corr2d then took
# 20-60x longer in some runs (export OMP_WAIT_POLICY=ACTIVE to measure the default).
WORKER_ENV = {"OMP_WAIT_POLICY": "PASSIVE"}


def _write_regression(raw, death, folder):
    """The case a worker died on, as a case file for spec/cases (None without one)."""
    if raw is None:
        return None
    folder = pathlib.Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    out = folder / f"bench-death-{death.backend}.json"
    case = {**raw, "id": f"bench-regression-{death.backend}-{raw['id']}", "note": f"the bench: {death}"[:500]}
    out.write_text(json.dumps({"cases": [case]}, indent=1) + "\n")
    return out


def _watch(child, failures):
    """Read the worker's announcements until it is done; its error document if it dies."""
    running = {"running": "starting", "case": None}
    try:
        while "done" not in (reply := child.read(running["running"])):
            running = reply
    except Death as death:
        written = _write_regression(running["case"], death, failures)
        print(f"[bench] WORKER DIED: {death}" + (f"; its case is in {written}" if written else ""), file=sys.stderr)
        return {"backend": child.name, "error": f"worker died: {death}", "died": {
            "running": running["running"], "how": death.how, "tail": death.tail,
            "regression": str(written) if written else None}}
    death = child.close()
    return {"backend": child.name, "error": f"worker died: {death}"} if death else None


def run_worker(name, python, sizes, budget, start_only=False, deadline=CASE_DEADLINE_S, failures="bench"):
    with tempfile.TemporaryDirectory() as folder:
        out = pathlib.Path(folder) / "worker.json"
        command = [python, "-m", "convsuite.conformance.bench.worker", name, "--out", str(out),
                   "--budget", str(budget), "--sizes", *sizes] + (["--start-only"] if start_only else [])
        env = worker_environment(name, extra=WORKER_ENV)
        began, load = time.time(), os.getloadavg()[0]
        error = _watch(Child(name, command, env, deadline=deadline), failures)
        if error:
            return error
        document = json.loads(out.read_text())
    return {**document, "started": began, "ended": time.time(), "load_before": load,
            "load_after": os.getloadavg()[0]}


def _time_starts(document, python, *, starts, failures):
    """`starts` fresh processes' import and cold cases in all, the worker's own the first: one
    start gives no spread, and an import's time moves with what the page cache still holds
    (one backend's took 1.7 s in one run and 7.5 s in the next). A start that fails is the worker's error."""
    runs = [{"import_s": document["import_s"], "cold_s": document["cases"]["cold_s"]}]
    for _ in range(starts - 1):
        run = run_worker(document["backend"], python, [], 0, start_only=True, failures=failures)
        if "error" in run:
            document["error"] = f"a start-only run: {run['error']}"  # "worker died" stays in it
            return
        runs.append({"import_s": run["import_s"], "cold_s": run["cold_s"]})
    document["starts"] = runs


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
        document["backends"][name] = run_worker(name, python, sizes, args.budget,
                                                failures=pathlib.Path(args.out).parent)
        if "error" not in document["backends"][name]:
            _estimate_loops(document["backends"][name])
            _time_starts(document["backends"][name], python, starts=args.starts, failures=pathlib.Path(args.out).parent)
    print("[bench] peers: " + ", ".join(PEERS), file=sys.stderr)
    document["peers"] = time_peers(sizes, args.budget)
    document["floor"] = best_floor(before, measure_floor(args.copy_mib, args.matmul_n))
    summarize(document)
    out = pathlib.Path(args.out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(document, indent=1) + "\n")
    print(table(document))
    print(f"[bench] wrote {out}")
    died = sorted(name for name, doc in document["backends"].items() if "worker died" in doc.get("error", ""))
    if died:
        print(f"[bench] FAILED: the worker of {', '.join(died)} died (above); the other backends ran")
    return 1 if verification(document)[1] or died else 0  # a wrong result or a death fails the bench


def add_arguments(parser):
    parser.add_argument("--python", action="append", required=True, metavar="NAME=PYTHON",
                        help="a backend and the Python of its environment (repeat per backend; run in turn)")
    parser.add_argument("--sizes", nargs="+", metavar="SIZE",
                        help=f"sizes to time (default all: {list(SIZES)})")
    parser.add_argument("--budget", type=float, default=2.0,
                        help="seconds of timed runs per size and path group (default 2; at least 3 rounds)")
    parser.add_argument("--starts", type=int, default=5,
                        help="fresh processes timing the import and the cold cases, per backend (default 5)")
    parser.add_argument("--copy-mib", type=int, default=256, help="the floor's copy size (default 256 MiB)")
    parser.add_argument("--matmul-n", type=int, default=2048, help="the floor's matmul size (default 2048)")
    parser.add_argument("--out", default="bench/results.json", help="where the JSON goes")
