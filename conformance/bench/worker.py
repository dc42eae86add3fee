"""The benchmark's worker: one framework, in its own process and environment.

    python -m conformance.bench.worker NAME --out WORKER.json --budget SECONDS --sizes SIZE ...
    python -m conformance.bench.worker NAME --out START.json --budget 0 --start-only

`conformance.bench` starts it once per backend and reads the JSON it writes: the import,
every built-in case per path (cold, then warm), corr2d per size and path with the first
call's peak memory, the learning loop per path and run (eager, compiled, bare) and the cost
of a tiny call. Medians of wall-clock seconds, every path timed in turns. Then, with
`--start-only`, again in fresh processes: the import and the cold cases only, for their spread.

On stdout it says what it runs before it runs it, one JSON line each (``{"running": what,
"case": the raw case or null}``), then ``{"done": true}``: the bench reads them as they come
(`conformance.harness.workers.Child`), so that a framework that kills this process, or hangs
it, is reported with what it was running.
"""

import argparse
import json
import os
import pathlib
import statistics
import sys
import time

from convsuite.conformance.bench.work import LEARN_CASES, LOOP_LIMIT, SIZES, work


_SAY = []  # the protocol's stream, once main() has set it up


def announce(what, raw=None):
    """Tell the bench what runs next (nothing when run without it)."""
    if _SAY:
        _SAY[0].write(json.dumps({"running": what, "case": raw}) + "\n")
        _SAY[0].flush()


MAX_ROUNDS = 1000
MIN_ROUNDS = 5  # enough for quartiles


def _memory(field):
    """VmHWM (peak) or VmRSS of this process, in bytes."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    return None


_PEAK = [0]  # the process's peak before the last reset


def _reset_peak():
    _PEAK[0] = max(_PEAK[0], _memory("VmHWM") or 0)
    try:
        with open("/proc/self/clear_refs", "w") as clear_refs:
            clear_refs.write("5")  # VmHWM := VmRSS
        return True
    except OSError:
        return False


def first_call(call):
    """(seconds, bytes the call added to the process at its peak, its result) of one call."""
    reset = _reset_peak()
    before = _memory("VmRSS")
    started = time.perf_counter()
    result = call()
    seconds = time.perf_counter() - started
    peak = _memory("VmHWM") - before if reset else None
    return seconds, peak, result


def race(calls, budget, max_rounds=MAX_ROUNDS):
    """Each call's seconds, timed in turns (at least 5 rounds, then more until `budget`
    seconds are spent): {"median_s", "q1_s", "q3_s", "runs", "samples_s"}. Round i of every
    call ran side by side in time, so the bench's ratios pair them round by round.

    Among several calls, each timed call comes right after an untimed one of its own, so
    that it is not charged for the worst of what the call before it left: NumPy's im2col
    sweeps 100 MB at 1024x1024/5x5; after it, OpenCV's filter2D took 1.68 ms instead of 0.7.
    Not for all of it (`_timed_alone`): a time to compare with one alone in a loop is raced
    alone too."""
    times = {name: [] for name in calls}
    spent, rounds = 0.0, 0
    while rounds < MIN_ROUNDS or (spent < budget and rounds < max_rounds):
        for name, call in calls.items():
            if len(calls) > 1:
                call()
            started = time.perf_counter()
            call()
            times[name].append(time.perf_counter() - started)
            spent += times[name][-1]
        rounds += 1
    return {name: spread(t) for name, t in times.items()}


def spread(samples):
    q1, median, q3 = statistics.quantiles(samples, n=4, method="inclusive") if len(samples) > 1 else samples * 3
    return {"median_s": median, "q1_s": q1, "q3_s": q3, "runs": len(samples), "samples_s": samples}


def time_corr2d(backend, name, *, shapes, budget):
    """One row per path of corr2d at one size (`shapes`: X's and K's), each result verified before
    it is timed."""
    from convsuite.conformance.bench import verify  # NumPy and spec: after the timed import
    from convsuite.spec import cases

    x_shape, k_shape = shapes
    raw, one_tap = verify.corr2d_case(name, x_shape, k_shape), verify.corr2d_case(name, x_shape, k_shape, one_tap=True)
    inputs = cases.parse(raw).inputs
    X, K = backend.asarray(inputs["X"]), backend.asarray(inputs["K"])
    paths = {"fast": backend.corr2d, "builtin": backend.corr2d_builtin}
    if backend.offers("compiled"):
        paths["compiled"] = backend.corr2d_compiled
    if work(x_shape, k_shape)["loop_iterations"] <= LOOP_LIMIT:
        paths["loop"] = backend.corr2d_loop
    if len(k_shape) == 2:  # one offset's pass over the output: the fast path makes kh*kw of them
        K1 = backend.asarray(cases.parse(one_tap).inputs["K"])
        for path in ("fast", "compiled"):
            if path in paths:
                paths[f"{path}-1x1"] = lambda X, K, corr2d=paths[path]: corr2d(X, K1)
    rows, calls, wait = {}, {}, backend.wait
    for path, corr2d in paths.items():
        announce(f"corr2d {name} on path {path}", one_tap if path.endswith("-1x1") else raw)
        call = lambda corr2d=corr2d: wait(corr2d(X, K))
        try:
            seconds, peak, result = first_call(call)
        except Exception as exc:  # e.g. out of memory: the other paths still run
            rows[path] = {"error": f"{type(exc).__name__}: {exc}"[:300]}
            continue
        wrong = verify.problem(backend, one_tap if path.endswith("-1x1") else raw, {"Y": result})
        del result
        if wrong:  # a wrong result gets no timing
            rows[path] = {"error": f"wrong result: {wrong}"[:500], "verified": False}
            continue
        rows[path] = {"first_s": seconds, "peak_bytes": peak, "verified": True}
        calls[path] = call
    announce(f"corr2d {name}: timing every path in turns", raw)
    for path, timing in race(calls, budget).items():
        rows[path].update(timing)
    for path in _timed_alone(rows):
        rows[path]["alone"] = race({path: calls[path]}, budget / 2)[path]
    return [{"backend": backend.name, "size": name, "path": path, **row} for path, row in rows.items()]


# The paths a target compares with the floor or a peer, which are timed alone in a loop.
ALONE_PATHS = ("loop", "fast", "builtin", "compiled")


def _timed_alone(rows):
    """The fastest of the timed paths and the compiled one, to be timed again alone in a loop,
    as the floor and the peers are: in turns, the paths slow each other down for several calls
    (after the NumPy fast path's 7 ms on one core, its compiled path's next five calls at
    1024x1024 by 5x5 took 0.96, 0.79, 0.80, 0.72, 0.75 ms, against 0.50 alone in a loop, and
    OpenCV's filter2D 0.98, 0.74, 0.71, 0.67, 0.69 against 0.63: one untimed call does not
    restore a call's own steady state). The turns still give the ratios between paths."""
    timed = {path: row["median_s"] for path, row in rows.items() if path in ALONE_PATHS and "median_s" in row}
    if not timed:
        return []
    return sorted({min(timed, key=timed.get)} | ({"compiled"} & set(timed)))


def time_learning(backend, raw_cases, budget):
    from convsuite.spec import cases

    import numpy as np

    from convsuite.conformance.bench import verify

    rows = []
    for layer_path, case_id in LEARN_CASES.items():
        raw = next(raw for raw in raw_cases if raw["id"] == case_id)
        announce(f"learning loop {layer_path}", raw)
        case = cases.parse(raw)
        args = {k: backend.asarray(v) if hasattr(v, "dtype") else v for k, v in case.inputs.items()}
        calls = {"eager": lambda: [float(l) for l in backend.learn(**args)[0]]}
        if backend.offers("compiled"):
            calls["compiled"] = lambda: [float(l) for l in backend.learn_compiled(**args)[0]]
        i = case.inputs
        calls["bare"] = backend.bare_loop(i["X"], i["Y"], i["K_init"], lr=i["lr"], steps=i["steps"])
        first, wrong = {}, {}
        for run, call in list(calls.items()):  # how the loop runs: eager, compiled, or the bare lesson loop
            first[run], _, losses = first_call(call)
            wrong[run] = verify.problem(backend, raw, {"losses": np.array(losses)})
            if wrong[run]:  # a wrong result gets no timing
                del calls[run]
        timed = race(calls, budget)
        for run in first:
            row = {"backend": backend.name, "path": layer_path, "run": run, "steps": i["steps"]}
            if wrong[run]:
                row.update(error=f"wrong result: {wrong[run]}"[:500], verified=False)
            else:
                row.update(first_s=first[run], **timed[run], verified=True)
            rows.append(row)
    return rows


def time_calls(backend, budget):
    """The cost of a call itself: a tiny eager op (X + X at 6x8) and, where the backend
    compiles, its compiled corr2d of 6x8 by 1x1 (a trivial compiled program)."""
    import numpy as np

    announce("the cost of a tiny call")
    X, K = backend.asarray(np.ones((6, 8), np.float32)), backend.asarray(np.ones((1, 1), np.float32))
    wait = backend.wait
    calls = {"tiny_op": lambda: wait(X + X)}
    if backend.offers("compiled"):
        calls["tiny_compiled_call"] = lambda: wait(backend.corr2d_compiled(X, K))
        calls["tiny_compiled_call"]()
    return {f"{name}_s": timing["median_s"] for name, timing in race(calls, budget / 4).items()}


def start(name, rounds):
    """A fresh process's start: the backend's import, then every lesson-sized built-in case
    through each of its paths, `rounds` times (the first cold: first use, compiling or loading
    compiled programs included; then warm, as run_paths runs them). (backend, the cases, the
    import's seconds, each round's seconds per path.)"""
    announce("importing the backend")
    started = time.perf_counter()
    from convsuite import backends

    backend = backends.load(name)
    import_s = time.perf_counter() - started

    from convsuite.conformance.harness import runner
    from convsuite.spec import cases

    # Lesson-sized: the large cases exist to cross thresholds, and would time arithmetic, not start-up.
    raw_cases = [raw for raw in cases.load() if not cases.is_large(raw)]
    paths = [path for path in runner.PATHS if runner.offers(backend, path)]
    cases_s = []
    for _ in range(rounds):
        parsed, seconds = {}, {}
        for path in paths:
            announce(f"the built-in cases on path {path}")
            began = time.perf_counter()
            runner.run_cases(backend, raw_cases, path, parsed=parsed)
            seconds[path] = time.perf_counter() - began
        cases_s.append(seconds)
    return backend, raw_cases, import_s, cases_s


def start_only(name):
    """One more fresh process's import and cold cases (`--start-only`): their spread."""
    _, _, import_s, (cold,) = start(name, 1)
    return {"import_s": import_s, "cold_s": sum(cold.values())}


def worker(name, sizes, budget):
    backend, raw_cases, import_s, cases_s = start(name, 2)
    corr2d = []
    for size in sizes:
        corr2d += time_corr2d(backend, size, shapes=SIZES[size], budget=budget)
    return {
        "backend": backend.name, "versions": backend.versions(), "import_s": import_s,
        "compiles_every_path": backend.offers("compiles_every_path"),
        "cases": {"count": len(raw_cases), "cold_s": sum(cases_s[0].values()), "warm_s": sum(cases_s[1].values()),
                  "cold_by_path_s": cases_s[0], "warm_by_path_s": cases_s[1]},
        "corr2d": corr2d, "learn": time_learning(backend, raw_cases, budget),
        "calls": time_calls(backend, budget),
        "peak_rss_bytes": max(_PEAK[0], _memory("VmHWM") or 0),
    }


def main(argv):
    parser = argparse.ArgumentParser(prog="python -m conformance.bench.worker")
    parser.add_argument("backend")
    parser.add_argument("--out", required=True)
    parser.add_argument("--budget", type=float, required=True)
    parser.add_argument("--sizes", nargs="*", default=[])
    parser.add_argument("--start-only", action="store_true", help="time the import and the cold cases only")
    args = parser.parse_args(argv)
    # Frameworks print to stdout at times; keep the protocol's stream for announcements alone.
    _SAY.append(os.fdopen(os.dup(sys.stdout.fileno()), "w"))
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    document = start_only(args.backend) if args.start_only else worker(args.backend, args.sizes, args.budget)
    pathlib.Path(args.out).write_text(json.dumps(document))
    _SAY[0].write(json.dumps({"done": True}) + "\n")
    _SAY[0].flush()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
