"""The fuzzer: generated cases are valid and pass, and a planted disagreement or a
nondeterministic backend is found, shrunk and written out as a regression case."""

import numpy as np
from hypothesis import given, settings

from convsuite import backends
from convsuite.conformance.fuzz import generate, run as fuzz
from convsuite.conformance.harness.compare import compare
from convsuite.conformance.harness.runner import run_paths
from planting import messages, plant, planted
from convsuite.spec import cases

numpy = backends.load("numpy")


@settings(max_examples=40, deadline=None, database=None, derandomize=True)  # the same cases in CI
@given(raw=generate.cases())
def test_generated_cases_are_valid_and_this_backend_agrees(backend, raw):
    cases.parse(raw)
    outcome = compare([{"backend": backend.name, **run_paths(backend, [raw])}], [raw])
    assert outcome.ok, messages(outcome)


class LocalWorker:
    """A fuzz worker in this process: the same protocol as `fuzz.Worker`."""

    def __init__(self, name, backend, noise=0.0):
        self.name, self.backend, self.noise, self.pending = name, backend, noise, None
        self.compiles_every_path = backend.offers("compiles_every_path")

    def send(self, raw_cases, repeat, paths=None):
        self.pending = [run_paths(self.backend, raw_cases, paths=paths) for _ in range(repeat)]
        if self.noise:  # a backend whose second run differs in the last bits
            self.pending[-1]["results"][0]["Y"] = (
                np.asarray(self.pending[-1]["results"][0].get("Y", 0.0)) * (1 + self.noise)).tolist()

    def receive(self):
        return self.pending


def planted_backend():
    flipped = lambda X, K, *args, **kwargs: numpy.corr2d(X, np.flip(K, (-2, -1)), *args, **kwargs)
    return planted(name="planted", corr2d=flipped)


def test_a_planted_disagreement_is_shrunk_into_a_regression_case(tmp_path, capsys):
    workers = [LocalWorker("numpy", numpy), LocalWorker("planted", planted_backend())]
    out = tmp_path / "failure.json"
    assert fuzz.fuzz_backends(workers, examples=200, seed_value=0, out=out) == 1
    assert "DISAGREEMENT" in capsys.readouterr().out
    (raw,) = cases.load([out])
    assert raw["id"].startswith("fuzz-regression-") and "planted" in raw["note"]
    assert raw["op"] == "corr2d"
    # Shrunk: a single small 2-D case, and it still shows the disagreement.
    assert np.ndim(raw["X"]) == 2 and np.size(raw["K"]) <= 4
    planted = {"backend": "planted", **run_paths(planted_backend(), [raw])}
    assert not compare([planted], [raw]).ok


def test_a_compiled_path_bug_is_found_when_the_compiling_paths_run_one_case_in_four(tmp_path, capsys):
    """The compiling paths run on a drawn share of the cases, and shrinking keeps them on."""
    wrong = lambda X, K, *args, **kwargs: numpy.corr2d(X, K, *args, **kwargs) + 1
    # it runs on the drawn cases only
    compiling = planted(name="jax", capabilities={"compiled", "compiles_every_path"},
                        corr2d_compiled=wrong, learn_compiled=numpy.learn)
    workers = [LocalWorker("numpy", numpy), LocalWorker("jax", compiling)]
    out = tmp_path / "failure.json"
    assert fuzz.fuzz_backends(workers, examples=100, seed_value=0, out=out, compiling_every=4) == 1
    assert "jax:compiled" in capsys.readouterr().out
    (raw,) = cases.load([out])
    assert raw["op"] in ("corr2d", "conv2d")


def test_without_the_compiling_paths_only_the_cheap_ones_run(capsys):
    sent = []

    class Recording(LocalWorker):
        def send(self, raw_cases, repeat, paths=None):
            sent.append((self.name, paths))
            super().send(raw_cases, repeat, paths)

    compiling = planted(name="jax", capabilities={"compiles_every_path"})
    workers = [Recording("numpy", numpy), Recording("jax", compiling)]
    raw = {"id": "c", "op": "corr2d", "X": [[1.0, 2.0], [3.0, 4.0]], "K": [[1.0]]}
    assert fuzz.disagreements(workers, raw, compiling=False) == ([], [])
    assert sent == [("numpy", fuzz.CHEAP_PATHS)]
    sent.clear()
    assert fuzz.disagreements(workers, raw, compiling=True) == ([], [])
    assert sent == [("numpy", None), ("jax", None)]


def test_a_backend_that_does_not_repeat_itself_is_caught(tmp_path, capsys):
    workers = [LocalWorker("numpy", numpy), LocalWorker("jittery", numpy, noise=1e-7)]
    assert fuzz.fuzz_backends(workers, examples=50, seed_value=0, out=tmp_path / "f.json") == 1
    assert "jittery: a second run is not bit-identical" in capsys.readouterr().out


def test_the_tolerance_policy_holds_on_generated_cases(capsys):
    fuzz.check_tolerance_policy(examples=150, seed_value=0)
    assert "150 results at 0.99x the bound passed" in capsys.readouterr().out


def test_a_documented_difference_is_excused_only_where_it_applies():
    raw = next(c for c in cases.load(["spec/cases/regressions.json"])
               if c["id"] == "regression-tensorflow-dilated-grad-inf-between-taps")
    exact = numpy  # any correct backend gives the finite dK
    correct = run_paths(exact, [raw])["paths"]["builtin"][0]
    nan_dK = {**correct, "dK": [[float("nan"), correct["dK"][0][1]]]}
    as_tensorflow = {"backend": "tensorflow", "results": [correct], "paths": {"builtin": [nan_dK]}}
    outcome = compare([as_tensorflow], [raw])
    assert outcome.ok and outcome.cells[raw["id"], "tensorflow:builtin"].text == "known"
    assert len(outcome.known) == 1
    # The same NaN from any other column, or on a case without dilation, is a failure.
    as_torch = {"backend": "torch", "results": [correct], "paths": {"builtin": [nan_dK]}}
    assert not compare([as_torch], [raw]).ok
    undilated = {**raw, "dilation": [1, 1], "X": [[1.0, 2.0, float("inf"), 3.0]], "G": [[1.0, 1.0, 1.0]]}
    correct = run_paths(exact, [undilated])["paths"]["builtin"][0]
    broken = {**correct, "dK": [[float("nan"), correct["dK"][0][1]]]}
    assert not compare([{"backend": "tensorflow", "results": [correct], "paths": {"builtin": [broken]}}],
                       [undilated]).ok


def test_every_run_crosses_the_declared_thresholds_and_catches_a_bug_past_one(tmp_path, monkeypatch):
    """The large built-in cases are explicit examples of every fuzz run: a block bug, wrong
    only past 2^15 outputs, is found whatever Hypothesis draws."""
    explicit = fuzz.threshold_cases()
    assert explicit and all(cases.is_large(raw) for raw in explicit)
    plant(monkeypatch, numpy, "_corr2d_flat", "stop = min(start + step, span)",
          "stop = min(start + step, span) - (start > 0)")
    out = tmp_path / "failure.json"
    assert fuzz.fuzz_backends([LocalWorker("numpy", numpy)], examples=1, seed_value=0, out=out,
                              explicit=explicit) == 1
    (raw,) = cases.load([out])
    assert cases.is_large(raw) and "backend numpy" in raw["note"]
