"""The benchmark's summary: the ratios its targets state, each target met or not, and the
table printed at the end of a run (bench/results.json holds the same)."""

import math
import statistics

from convsuite.conformance.bench.work import LEARN_CASES, SIZES, floor_seconds, work

def verification(document):
    """(how many timed results were verified, every wrong one in words): a wrong result
    fails the bench and is never timed."""
    verified, wrong = 0, []
    rows = [(name, row) for name, doc in document["backends"].items()
            for row in doc.get("corr2d", []) + doc.get("learn", [])]
    for name, row in rows + [(row["peer"], {**row, "path": "peer"}) for row in document.get("peers", [])]:
        where = row.get("size") or f"the {row.get('path')} learning loop"
        if row.get("verified") is False:
            wrong.append(f"{name} {row['path']} at {where}: {row['error']}")
        verified += row.get("verified") is True
    return verified, wrong


# The peer a compiled path must not be slower than.
PEER_TARGET = "opencv filter2D"


def quartiles(a, b=None, scale=1.0):
    """(median, q1, q3) of a / b (rows of the same race: paired round by round) or of a / scale
    (a number), where a and b are timed rows; None where either is missing."""
    if a is None or (b is None and scale is None):
        return None
    if b is None:
        samples = [t / scale for t in (a["samples_s"] if "samples_s" in a else [a["median_s"]])]
    elif len(a.get("samples_s", [])) == len(b.get("samples_s", [])) > 0:
        samples = [x / y for x, y in zip(a["samples_s"], b["samples_s"])]
    else:  # no samples to pair (an estimated loop, an old results file): the medians
        samples = [a["median_s"] / b["median_s"]]
    if len(samples) == 1:
        return samples[0], samples[0], samples[0]
    q1, median, q3 = statistics.quantiles(samples, n=4, method="inclusive")
    return median, q1, q3


def summarize(document):
    """Ratios and targets from the measurements (pure arithmetic: no timing here). A target
    is met only when the upper quartile of its ratio meets it: load that comes and goes may
    not make a target."""
    floor, ratios, targets = document["floor"], [], []

    def target(what, backend, value, *, limit, unit=""):
        median, q1, q3 = value if isinstance(value, tuple) else (value, value, value)
        targets.append({"target": what, "backend": backend, "value": median, "q1": q1, "q3": q3,
                        "limit": limit, "met": q3 is not None and q3 <= limit, "unit": unit})

    peers = {(r["peer"], r["size"]): r for r in document.get("peers", []) if "median_s" in r}
    for name, doc in document["backends"].items():
        if "error" in doc:
            targets.append({"target": "worker ran", "backend": name, "met": False, "value": doc["error"]})
            continue
        by = {(r["size"], r["path"]): r for r in doc["corr2d"]}

        def alone(size, path):  # against the floor or a peer: the path timed alone, as they are
            timed = by.get((size, path))
            return timed.get("alone", timed) if timed else None
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
            row["best_over_floor"] = _ratio((alone(size, best) or {}).get("median_s"), row["floor_s"])
            one_pass = by.get((size, "fast-1x1"), {}).get("median_s")
            if one_pass is not None:  # kh*kw passes: what the fast path cannot go below
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
                target(f"fast / native corr2d at {size}", name,
                       quartiles(by.get((size, "fast")), by.get((size, "builtin"))), limit=1.0, unit="x")
            if size == "1024x1024/5x5":
                target(f"best path ({best}) / floor at {size}", name,
                       quartiles(alone(size, best), scale=row["floor_s"]) if best else None, limit=3.0, unit="x")
            if size == "1024x1024/5x5" and "compiled" in measured:  # where a compiler exists
                target(f"compiled / floor at {size}", name,
                       quartiles(alone(size, "compiled"), scale=row["floor_s"]), limit=2.0, unit="x")
                peer = peers.get((PEER_TARGET, size))
                target(f"best path ({best}) / {PEER_TARGET} at {size}", name,
                       quartiles(alone(size, best), scale=peer["median_s"]) if peer else None, limit=1.0, unit="x")
            if size == "4096x4096/5x5" and "fast_peak_over_in_out" in row:
                target(f"fast path peak memory / (input + output) at {size}", name,
                       row["fast_peak_over_in_out"], limit=3.0, unit="x")
        learn = {(r["path"], r["run"]): r for r in doc["learn"] if "median_s" in r}
        for path in LEARN_CASES:
            if (path, "compiled") in learn:
                target(f"10-step learning loop, compiled, {path} path", name,
                       quartiles(learn[path, "compiled"], scale=1e-3), limit=1.0, unit="ms")
            target(f"10-step learning loop, eager / bare lesson loop, {path} path", name,
                   quartiles(learn.get((path, "eager")), learn.get((path, "bare"))), limit=3.0, unit="x")
        target("all lesson-sized built-in cases (cold) / framework import", name, cases_over_import(doc),
               limit=cases_over_import_limit(doc), unit="x")
    document.update(ratios=ratios, targets=targets)
    return document


def cases_over_import(doc):
    """(median, q1, q3) of cold cases / import over the fresh processes ("starts"), each start's
    cases over its own import; one start where a results file has no others."""
    starts = doc.get("starts") or [{"import_s": doc["import_s"], "cold_s": doc["cases"]["cold_s"]}]
    return quartiles({"samples_s": [run["cold_s"] / run["import_s"] for run in starts]}, scale=1.0)


def cases_over_import_limit(doc):
    """A backend whose every path compiles per shape (it declares "compiles_every_path") may
    take 5x its import for the built-in cases, its compiled programs loaded from the persistent
    cache as they are; any other 1.5x. "Cold" is a fresh process: a cache on disk is kept."""
    return 5.0 if doc.get("compiles_every_path") else 1.5


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
    lines.append("best/floor: the best path timed again alone in a loop, as the floor and the peers are")
    lines.append("taps*pass: kh*kw times the fast path with a 1x1 kernel (one offset's pass over the "
                 "output); compiled/1-tap: against the compiled path with a 1x1 kernel (call, allocation, "
                 "one pass)")
    lines.append("learning loop (ms per 10 steps): path eager compiled bare | import s, all cases "
                 "cold/warm s (cold per path) | tiny op, tiny compiled call ms | peak RSS MiB")
    for name, doc in document["backends"].items():
        if "error" in doc:
            lines.append(f"{name}: {doc['error']}")
            continue
        learn = {(r["path"], r["run"]): r.get("median_s") for r in doc["learn"]}
        parts = [f"{path} {_fmt(learn.get((path, 'eager')))} {_fmt(learn.get((path, 'compiled')))} "
                 f"{_fmt(learn.get((path, 'bare')))}" for path in LEARN_CASES]
        by_path = " ".join(f"{p} {t:.2f}" for p, t in doc["cases"]["cold_by_path_s"].items())
        calls = doc["calls"]
        imports = sorted(run["import_s"] for run in doc.get("starts", []))
        starts = f", {len(imports)} starts: import {imports[0]:.2f}-{imports[-1]:.2f}" if imports else ""
        lines.append(f"{name}: " + "; ".join(parts) + f" | import {doc['import_s']:.2f}, cases "
                     f"{doc['cases']['cold_s']:.2f}/{doc['cases']['warm_s']:.2f} ({by_path}){starts} | "
                     f"{_fmt(calls.get('tiny_op_s'))} {_fmt(calls.get('tiny_compiled_call_s'))} | "
                     f"peak {doc['peak_rss_bytes'] / 2**20:.0f}")
    for row in document.get("peers", []):
        timing = _fmt(row.get("median_s")) if "median_s" in row else row["error"]
        lines.append(f"peer {row['peer']}" + (f" at {row['size']}" if "size" in row else "") + f": {timing} ms")
    verified, wrong = verification(document)
    lines.append(f"verified: {verified} timed results agree with the float64 reference within the derived "
                 f"tolerance; {len(wrong)} wrong")
    lines += [f"  WRONG {problem}" for problem in wrong]
    lines.append("targets (met only when the upper quartile q3 meets the limit):")
    for t in document["targets"]:
        value = t["value"] if isinstance(t["value"], str) else (
            "-" if t["value"] is None else f"{t['value']:.2f}{t.get('unit', '')}"
            + (f" (q1 {t['q1']:.2f}, q3 {t['q3']:.2f})" if t.get("q3") not in (None, t["value"]) else ""))
        lines.append(f"  {'met    ' if t['met'] else 'NOT MET'} {t['backend']}: {t['target']}: {value}"
                     + (f" (limit {t['limit']}{t.get('unit', '')})" if "limit" in t else ""))
    return "\n".join(lines)
