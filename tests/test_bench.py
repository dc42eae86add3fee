"""The benchmark's machinery, on tiny sizes: no benchmark runs here, only its arithmetic, its
timing helpers and one NumPy worker end to end."""

import json
import subprocess
import sys

import numpy as np
import pytest

from convsuite.conformance.bench import run as bench, work as bench_work, worker as bench_worker
from convsuite.conformance.environments.run import code_path

FLOOR = {"copy_bytes_per_s": 1e9, "matmul_flops_per_s": 1e10}


def test_work_counts_bytes_flops_and_loop_iterations():
    w = bench_work.work((6, 8), (1, 2))  # output 6x7
    assert w == {"bytes": 4 * (48 + 2 + 42), "flops": 2 * 42 * 2, "loop_iterations": 42,
                 "input_bytes": 4 * 48, "output_bytes": 4 * 42}
    channels = bench_work.work((32, 64, 64), (32, 32, 3, 3))  # output 32x62x62, 32*3*3 taps each
    assert channels["flops"] == 2 * 32 * 62 * 62 * 32 * 9
    assert channels["loop_iterations"] == 32 * 62 * 62 * 32


def test_the_floor_is_the_slower_of_moving_the_bytes_and_doing_the_flops():
    assert bench_work.floor_seconds(2e9, 1e9, FLOOR) == 2.0  # memory-bound
    assert bench_work.floor_seconds(1e6, 1e11, FLOOR) == 10.0  # compute-bound


def test_the_floor_keeps_the_best_rate_of_each_measurement():
    before = {"copy_bytes_per_s": 2.0, "fresh_copy_bytes_per_s": 1.0, "matmul_flops_per_s": 5.0}
    after = {"copy_bytes_per_s": 1.0, "fresh_copy_bytes_per_s": 1.5, "matmul_flops_per_s": 9.0}
    floor = bench_work.best_floor(before, after)
    assert (floor["copy_bytes_per_s"], floor["fresh_copy_bytes_per_s"], floor["matmul_flops_per_s"]) == (2.0, 1.5, 9.0)
    assert floor["measurements"] == [before, after]


def test_race_times_every_call_in_turns_at_least_five_rounds_each_after_an_untimed_one_of_its_own():
    order = []
    timings = bench_worker.race({"a": lambda: order.append("a"), "b": lambda: order.append("b")}, budget=0)
    assert order == ["a", "a", "b", "b"] * 5
    assert {name: timing["runs"] for name, timing in timings.items()} == {"a": 5, "b": 5}


def test_a_call_raced_alone_is_not_called_twice_a_round():
    order = []
    bench_worker.race({"a": lambda: order.append("a")}, budget=0)
    assert order == ["a"] * 5


def test_the_fastest_path_and_the_compiled_one_are_timed_again_alone():
    rows = {"fast": {"median_s": 2e-3}, "builtin": {"median_s": 1e-3}, "compiled": {"median_s": 3e-3},
            "fast-1x1": {"median_s": 1e-5}, "loop": {"error": "wrong result"}}
    assert bench_worker._timed_alone(rows) == ["builtin", "compiled"]  # a 1x1 row is never the best
    rows["compiled"]["median_s"] = 0.5e-3
    assert bench_worker._timed_alone(rows) == ["compiled"]
    assert bench_worker._timed_alone({"fast": {"median_s": 1.0}}) == ["fast"]
    assert bench_worker._timed_alone({"loop": {"error": "out of memory"}}) == []


def test_a_start_that_fails_is_the_workers_error(monkeypatch, tmp_path):
    document = _document()["backends"]["b"]
    monkeypatch.setattr(bench, "run_worker", lambda *args, **kwargs: {"backend": "b", "error": "worker exited with 1"})
    bench._time_starts(document, "python", starts=3, failures=tmp_path)
    assert document["error"] == "a start-only run: worker exited with 1" and "starts" not in document


def test_first_call_reports_the_memory_a_call_added_at_its_peak():
    if not bench_worker._reset_peak():
        pytest.skip("no /proc/self/clear_refs here")
    seconds, peak, result = bench_worker.first_call(lambda: np.ones(64 << 18, np.float32).sum())  # 64 MiB
    assert seconds > 0 and result == 64 << 18
    assert peak >= 60 << 20


def _document():
    """Measurements of one backend at two sizes, as a worker and the parent write them."""
    rows = [
        ("6x8/1x2", "loop", 42e-3), ("6x8/1x2", "fast", 1e-3), ("6x8/1x2", "builtin", 2e-3),
        ("1024x1024/5x5", "fast", 4e-3), ("1024x1024/5x5", "builtin", 2e-3),
        ("1024x1024/5x5", "compiled", 1e-3), ("1024x1024/5x5", "fast-1x1", 1e-4),
    ]
    learn = [{"path": path, "run": run, "median_s": seconds}
             for path in ("builtin", "fast") for run, seconds in (("eager", 4e-3), ("bare", 1e-3))]
    doc = {"backend": "b", "import_s": 1.0, "learn": learn, "calls": {"tiny_op_s": 1e-5},
           "cases": {"cold_s": 2.0, "warm_s": 1.5, "cold_by_path_s": {"fast": 1.5, "builtin": 0.5}},
           "corr2d": [{"size": s, "path": p, "median_s": t} for s, p, t in rows], "peak_rss_bytes": 1 << 30}
    bench._estimate_loops(doc)
    return {"floor": FLOOR, "backends": {"b": doc}}


def test_the_loop_is_estimated_per_iteration_from_the_largest_size_it_ran():
    estimate = next(r for r in _document()["backends"]["b"]["corr2d"]
                    if r["size"] == "1024x1024/5x5" and r["path"] == "loop")
    assert estimate["estimated"] and estimate["estimated_from"] == "6x8/1x2"
    assert estimate["median_s"] == pytest.approx(1e-3 * 1020 * 1020)  # 1 ms per output element


def test_summary_ratios_and_targets():
    document = bench.summarize(_document())
    big = next(r for r in document["ratios"] if r["size"] == "1024x1024/5x5")
    assert big["fast_over_native"] == 2.0 and big["compiled_over_native"] == 0.5
    assert big["best_path"] == "compiled"  # the estimated loop never counts as best
    w = bench_work.work((1024, 1024), (5, 5))
    floor = bench_work.floor_seconds(w["bytes"], w["flops"], FLOOR)
    assert big["best_over_floor"] == pytest.approx(1e-3 / floor)
    assert big["passes_over_native"] == pytest.approx(25 * 1e-4 / 2e-3)
    # against the floor and the peer: the best path's time alone in a loop, where it has one
    timed_alone = _document()
    compiled = next(r for r in timed_alone["backends"]["b"]["corr2d"]
                    if r["size"] == "1024x1024/5x5" and r["path"] == "compiled")
    compiled["alone"] = {"median_s": 0.5e-3, "samples_s": [0.5e-3] * 5}
    timed_alone["peers"] = [{"peer": "opencv filter2D", "size": "1024x1024/5x5", "median_s": 0.6e-3}]
    summary = bench.summarize(timed_alone)
    assert next(r for r in summary["ratios"] if r["size"] == "1024x1024/5x5")["best_over_floor"] == (
        pytest.approx(0.5e-3 / floor))
    targets = {t["target"]: t for t in summary["targets"]}
    assert targets["compiled / floor at 1024x1024/5x5"]["value"] == pytest.approx(0.5e-3 / floor)
    assert targets["best path (compiled) / opencv filter2D at 1024x1024/5x5"]["value"] == pytest.approx(0.5 / 0.6)
    assert targets["best path (compiled) / opencv filter2D at 1024x1024/5x5"]["met"]
    assert big["compiled_over_native"] == 0.5  # between paths: the turns' times still
    small = next(r for r in document["ratios"] if r["size"] == "6x8/1x2")
    assert small["loop_over_fast"] == pytest.approx(42)
    targets = {t["target"]: t for t in document["targets"]}
    assert not targets["fast / native corr2d at 1024x1024/5x5"]["met"]
    assert not targets["all lesson-sized built-in cases (cold) / framework import"]["met"]  # 2.0x > 1.5x
    # a backend whose every path compiles per shape may take 5x: the same 2.0x meets it
    compiling = _document()
    compiling["backends"]["b"]["compiles_every_path"] = True
    targets = {t["target"]: t for t in bench.summarize(compiling)["targets"]}
    assert targets["all lesson-sized built-in cases (cold) / framework import"]["met"]
    assert targets["all lesson-sized built-in cases (cold) / framework import"]["limit"] == 5.0
    # over several fresh starts: each start's cases over its own import, met by the upper quartile
    started = _document()
    started["backends"]["b"]["starts"] = [{"import_s": 1.0, "cold_s": c} for c in (1.0, 1.2, 1.4, 1.4, 3.0)]
    cold = {t["target"]: t for t in bench.summarize(started)["targets"]}[
        "all lesson-sized built-in cases (cold) / framework import"]
    assert (cold["value"], cold["q3"]) == (pytest.approx(1.4), pytest.approx(1.4)) and cold["met"]
    started["backends"]["b"]["starts"][2]["cold_s"] = 1.6
    cold = {t["target"]: t for t in bench.summarize(started)["targets"]}[
        "all lesson-sized built-in cases (cold) / framework import"]
    assert cold["q3"] == pytest.approx(1.6) and not cold["met"]
    assert "5 starts: import 1.00-1.00" in bench.table(started)
    targets = {t["target"]: t for t in document["targets"]}
    eager = targets["10-step learning loop, eager / bare lesson loop, fast path"]
    assert eager["value"] == pytest.approx(4.0) and not eager["met"]
    assert "Traceback" not in bench.table(document)


def test_a_numpy_worker_runs_end_to_end(tmp_path):
    out = tmp_path / "results.json"
    done = subprocess.run(
        [sys.executable, "-m", "convsuite.conformance", "bench", f"--python=numpy={sys.executable}",
         "--sizes", "6x8/1x2", "--budget", "0", "--starts", "2", "--copy-mib", "1", "--matmul-n", "64",
         "--out", str(out)],
        cwd=code_path(), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    document = json.loads(out.read_text())
    numpy = document["backends"]["numpy"]
    assert {r["path"] for r in numpy["corr2d"]} == {"loop", "fast", "builtin", "compiled", "fast-1x1", "compiled-1x1"}
    assert all(r["verified"] for r in numpy["corr2d"] + numpy["learn"])  # every timed result checked
    alone = {r["path"] for r in numpy["corr2d"] if "alone" in r}
    assert "compiled" in alone and alone <= {"loop", "fast", "builtin", "compiled"}
    assert {(r["path"], r["run"]) for r in numpy["learn"]} == {
        (path, run) for path in ("builtin", "fast") for run in ("eager", "compiled", "bare")}
    assert set(numpy["cases"]["cold_by_path_s"]) == {"fast", "builtin", "compiled"}
    assert numpy["import_s"] > 0 and numpy["peak_rss_bytes"] > 0
    assert len(numpy["starts"]) == 2 and numpy["starts"][0]["import_s"] == numpy["import_s"]
    assert all(run["import_s"] > 0 and run["cold_s"] > 0 for run in numpy["starts"])
    assert document["floor"]["copy_bytes_per_s"] > 0 and document["ratios"] and document["targets"]
    assert "fast/native" in done.stdout


@pytest.mark.parametrize("path", sorted(bench_work.LEARN_CASES))
def test_the_bare_lesson_loop_learns_what_the_backend_learns(backend, path):
    """The eager loop's yardstick must compute the same losses, or the ratio compares unlike work."""
    from convsuite.spec import cases

    raw = next(c for c in cases.load() if c["id"] == bench_work.LEARN_CASES[path])
    i = cases.parse(raw).inputs
    bare = backend.bare_loop(i["X"], i["Y"], i["K_init"], lr=i["lr"], steps=i["steps"])()
    args = {k: backend.asarray(v) if hasattr(v, "dtype") else v for k, v in i.items()}
    eager = [float(loss) for loss in backend.learn(**args)[0]]
    assert len(bare) == i["steps"]
    np.testing.assert_allclose(bare, eager, rtol=1e-4)


def test_the_timer_waits_for_the_backend_to_finish(backend):
    """A framework that computes asynchronously (MXNet, JAX) declares how to wait for a
    result: without it, the benchmark would time the dispatch, not the work."""
    X = backend.asarray(np.ones((64, 64), np.float32))
    Y = backend.wait(backend.corr2d(X, X[:3, :3]))
    np.testing.assert_array_equal(backend.to_numpy(Y), np.full((62, 62), 9.0, np.float32))
    assert hasattr(backend.module, "wait") == backend.offers("wait")


def test_a_wrong_result_fails_the_bench_names_backend_form_and_size_and_gets_no_timing():
    from planting import planted

    correct = planted().module.corr2d
    wrong = planted(name="planted", corr2d=lambda X, K, **geometry: correct(X, np.flip(K), **geometry))
    rows = bench_worker.time_corr2d(wrong, "64x64/3x3", shapes=((64, 64), (3, 3)), budget=0)
    by_path = {row["path"]: row for row in rows}
    assert by_path["fast"]["verified"] is False and "median_s" not in by_path["fast"]
    assert by_path["fast"]["error"].startswith("wrong result: backend planted, case bench-64x64/3x3: Y element")
    assert by_path["builtin"]["verified"] is True and by_path["builtin"]["median_s"] > 0
    assert by_path["fast-1x1"]["verified"] is True  # a 1x1 kernel of one flips to itself
    document = {"backends": {"planted": {"corr2d": rows, "learn": []}}}
    verified, problems = bench.verification(document)
    assert problems == [f"planted fast at 64x64/3x3: {by_path['fast']['error']}"] and verified == len(rows) - 1


def test_a_target_is_met_only_when_its_upper_quartile_meets_it():
    """Rounds timed in turns are paired: the median round meets fast <= native, a quarter of
    the rounds do not, so the target is not met."""
    document = _document()
    rows = document["backends"]["b"]["corr2d"]
    fast = next(r for r in rows if (r["size"], r["path"]) == ("1024x1024/5x5", "fast"))
    native = next(r for r in rows if (r["size"], r["path"]) == ("1024x1024/5x5", "builtin"))
    fast["samples_s"], native["samples_s"] = [0.8, 0.9, 0.9, 1.3, 1.4], [1.0] * 5
    target = next(t for t in bench.summarize(document)["targets"]
                  if t["target"] == "fast / native corr2d at 1024x1024/5x5")
    assert target["value"] == pytest.approx(0.9) and target["q3"] == pytest.approx(1.3)
    assert target["value"] <= target["limit"] and not target["met"]
    fast["samples_s"] = [0.8, 0.9, 0.9, 0.95, 1.4]
    target = next(t for t in bench.summarize(document)["targets"]
                  if t["target"] == "fast / native corr2d at 1024x1024/5x5")
    assert target["met"] and target["q3"] == pytest.approx(0.95)


def test_the_peers_are_verified_like_the_backends_and_a_missing_one_says_so(monkeypatch):
    from convsuite.conformance.bench import peers

    def missing():
        raise ImportError("No module named 'nothing'")

    from convsuite.spec import reference

    monkeypatch.setattr(peers, "PEERS", {
        "right": lambda: lambda X, K: reference.corr2d(X, K).astype(X.dtype),
        "zero": lambda: lambda X, K: np.zeros((X.shape[0] - K.shape[0] + 1, X.shape[1] - K.shape[1] + 1), X.dtype),
        "absent": missing,
    })
    rows = {row["peer"]: row for row in peers.time_peers(["64x64/3x3"], budget=0)}
    assert rows["right"]["verified"] and rows["right"]["median_s"] > 0
    assert rows["zero"]["verified"] is False and "median_s" not in rows["zero"]
    assert rows["absent"]["error"].startswith("not installed") and "requirements/peers.txt" in rows["absent"]["error"]
    verified, wrong = bench.verification({"backends": {}, "peers": list(rows.values())})
    assert verified == 1 and len(wrong) == 1 and wrong[0].startswith("zero peer at 64x64/3x3: wrong result")
