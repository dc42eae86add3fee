"""A worker that dies or hangs is a verdict: `run` gives the case that killed its worker a
"WorkerDied" error naming the signal and runs the other cases in a fresh worker; the fuzzer
and the bench report the backend, the case, the signal and the worker's last output, write
the case as a regression case, and exit 1; nothing hangs.

The dying backend is planted: NumPy's folder (`planting.throwaway_backend`) whose corr2d
aborts the process (or sleeps for an hour) on an input whose first element is a marker. Its
workers start through a `python` that registers it first, as the real registry would.
"""

import json
import os
import signal
import stat
import sys
import time

import numpy as np
import pytest

from convsuite.conformance.bench import run as bench, verify, work as bench_work
from convsuite.conformance.fuzz import run as fuzz
from convsuite.conformance.fuzz.workers import Worker as FuzzWorker
from convsuite.conformance.harness import compare, supervised, workers
from convsuite.conformance.harness.environment import worker_environment
from convsuite.spec import cases
from convsuite import backends
from planting import throwaway_backend

ABORT, HANG = 1234.5, 4321.5
# The bench's first timed corr2d input: its first element makes the planted corr2d abort there.
BENCH_SIZE = "6x8/1x2"
BENCH_MARK = float(cases.parse(verify.corr2d_case(BENCH_SIZE, *bench_work.SIZES[BENCH_SIZE])).inputs["X"].flat[0])

DYING = '''

import os as _os
import sys as _sys
import time as _time

import numpy as _np

_real_corr2d = corr2d


def corr2d(X, K, *args, **kwargs):
    first = float(_np.asarray(X).flat[0])
    if first in ({abort}, {bench}):
        print("planted: this corr2d aborts the process", file=_sys.stderr, flush=True)
        _os.abort()
    if first == {hang}:
        print("planted: this corr2d hangs", file=_sys.stderr, flush=True)
        _time.sleep(3600)
    return _real_corr2d(X, K, *args, **kwargs)
'''

LAUNCHER = '''import runpy, sys
sys.path.insert(0, {folder!r})
from convsuite.backends import registry
registry.BACKENDS["dying"] = "dying"
assert sys.argv[1] == "-m"
module = sys.argv[2]
sys.argv = [module, *sys.argv[3:]]
runpy.run_module(module, run_name="__main__", alter_sys=True)
'''


@pytest.fixture
def dying(tmp_path, monkeypatch):
    """(the planted backend, a `python` whose children know it)."""
    # the package's corr2d, which the runner calls, is replaced at the end of its __init__
    package = throwaway_backend(tmp_path, monkeypatch, "dying") / "__init__.py"
    package.write_text(package.read_text() + DYING.format(abort=ABORT, hang=HANG, bench=BENCH_MARK))
    (tmp_path / "launch.py").write_text(LAUNCHER.format(folder=str(tmp_path)))
    python = tmp_path / "python"
    python.write_text(f"#!/bin/sh\nexec {sys.executable} {tmp_path / 'launch.py'} \"$@\"\n")
    python.chmod(python.stat().st_mode | stat.S_IEXEC)
    return backends.load("dying"), str(python)


def _case(case_id, first):
    X = np.arange(12.0).reshape(3, 4)
    X[0, 0] = first
    return {"id": case_id, "op": "corr2d", "X": X.tolist(), "K": [[1.0, -1.0]]}


def test_run_gives_the_killing_case_a_worker_died_error_and_runs_the_others(dying):
    backend, python = dying
    raw_cases = [_case("before", 1.0), _case("killer", ABORT), _case("after", 2.0)]
    started = time.perf_counter()
    runs, deaths = supervised.run_paths(backend, python, raw_cases)
    assert time.perf_counter() - started < 60
    fast = {result["id"]: result for result in runs["results"]}
    assert fast["killer"]["error"]["type"] == "WorkerDied"
    message = fast["killer"]["error"]["message"]
    assert "killed by SIGABRT" in message and "case killer" in message and "planted: this corr2d aborts" in message
    assert "Y" in fast["before"] and "Y" in fast["after"]  # the others ran, in a fresh worker
    assert [result["id"] for result in runs["results"]] == ["before", "killer", "after"]
    assert set(runs["paths"]) == {"builtin", "compiled"} and all(
        len(results) == 3 for results in runs["paths"].values())
    assert [(d.backend, d.case, d.path) for d in deaths][:1] == [("dying", "killer", "fast")]
    # compare: the death is that case's failure, and only that case's
    outcome = compare.compare([{"backend": "dying", **runs}], raw_cases)
    assert {failure.case for failure in outcome.failures} == {"killer"}


def test_a_hung_worker_is_killed_at_its_deadline(dying):
    backend, python = dying
    worker = workers.Worker("dying", python, worker_environment("dying"), deadline=3)
    worker.send([_case("hangs", HANG)], ["fast"])
    started = time.perf_counter()
    with pytest.raises(workers.Death, match="passed its deadline of 3 s") as died:
        worker.receive()
    assert time.perf_counter() - started < 30
    assert died.value.case == "hangs" and "planted: this corr2d hangs" in died.value.tail
    worker.close()


def test_a_worker_killed_from_outside_is_reported_and_the_other_worker_still_answers(dying):
    _, python = dying
    numpy = FuzzWorker("numpy", sys.executable)
    victim = FuzzWorker("dying", python)
    try:
        victim.send([_case("hangs", HANG)], repeat=1)
        numpy.send([_case("plain", 1.0)], repeat=2)
        time.sleep(1)
        os.kill(victim.worker.child.process.pid, signal.SIGKILL)
        with pytest.raises(workers.Death, match="killed by SIGKILL") as died:
            victim.receive()
        assert died.value.backend == "dying" and died.value.case == "hangs"
        first, second = numpy.receive()
        assert first == second and "Y" in first["results"][0]
    finally:
        victim.close()
        numpy.close()


def test_the_fuzzer_reports_a_dead_worker_writes_the_case_and_fails(dying, tmp_path, capsys):
    _, python = dying
    killer = _case("fuzz", ABORT)
    pool = [FuzzWorker("numpy", sys.executable), FuzzWorker("dying", python)]
    out = tmp_path / "failure.json"
    started = time.perf_counter()
    try:
        status = fuzz.fuzz_backends(pool, examples=5, seed_value=0, out=out, explicit=[killer])
    finally:
        for worker in pool:
            worker.close()
    assert status == 1 and time.perf_counter() - started < 120
    printed = capsys.readouterr().out
    assert "WORKER DIED: backend dying was killed by SIGABRT" in printed
    assert "planted: this corr2d aborts the process" in printed  # its last output
    (raw,) = cases.load([out])
    assert raw["X"] == killer["X"] and "SIGABRT" in raw["note"] and raw["id"].startswith("fuzz-regression-")


def test_the_bench_reports_a_dead_worker_and_saves_its_case(dying, tmp_path):
    _, python = dying
    started = time.perf_counter()
    document = bench.run_worker("dying", python, [BENCH_SIZE], 0, failures=tmp_path)
    assert time.perf_counter() - started < 120
    assert "worker died" in document["error"] and "SIGABRT" in document["error"]
    died = document["died"]
    assert died["running"] == f"corr2d {BENCH_SIZE} on path fast" and died["how"] == "was killed by SIGABRT"
    assert "planted: this corr2d aborts the process" in died["tail"]
    (raw,) = cases.load([died["regression"]])
    assert raw["op"] == "corr2d" and raw["id"].startswith("bench-regression-dying")
    assert json.loads(json.dumps(raw["X"]))["uniform"] == list(bench_work.SIZES[BENCH_SIZE][0])


TENSORFLOW_CASE = "regression-tensorflow-grouped-dilated-grad-corrupts-memory"


def test_tensorflow_builtin_gradient_corrupting_memory_is_a_known_difference_run_alone(backend):
    """backends/tensorflow/differences.toml: TensorFlow's built-in gradient of its regression
    case aborts its process or gives garbage. `run` computes it alone in a child of its own,
    so the others are untouched, and compare shows it as known, never as a pass; on every
    other backend the case agrees (this test fails the day TensorFlow's gradient gets it right)."""
    raw = next(c for c in cases.load(["spec/cases/regressions.json"]) if c["id"] == TENSORFLOW_CASE)
    runs, deaths = supervised.run_paths(backend, sys.executable, [raw])
    outcome = compare.compare([{"backend": backend.name, **runs}], [raw])
    assert outcome.ok, [str(failure) for failure in outcome.failures]
    cell = outcome.cells[raw["id"], f"{backend.name}:builtin"]
    assert cell.kind == ("known" if backend.name == "tensorflow" else "agree")
    if backend.name != "tensorflow":  # TensorFlow's worker dies, or lives and gives garbage
        assert not deaths


def test_a_worker_that_cannot_even_start_gives_every_case_its_death_never_a_traceback(dying):
    backend, _ = dying
    raw_cases = [_case("first", 1.0), _case("second", 2.0)]
    runs, deaths = supervised.run_paths(backend, "/bin/false", raw_cases)
    assert deaths and "exited with code 1" in str(deaths[0])
    for results in [runs["results"], *runs["paths"].values()]:
        assert [r["error"]["type"] for r in results] == ["WorkerDied", "WorkerDied"]
