"""Differential fuzzing: generated cases through every backend, compared, shrunk on failure.

One worker process per backend runs in that backend's own environment (`conformance.serve`);
Hypothesis draws cases (`conformance.generate`), every worker computes each case twice, and a
case fails when a second run is not bit-identical to the first or when `compare` finds any
disagreement. Hypothesis then shrinks the case, and the smallest failing one is written as
an ordinary case file, ready to join spec/cases as a regression case. A fixed seed
reproduces a run.

Programs compiled for every new shape are the fuzzer's cost: JAX compiles each of its paths
with XLA (about 0.4-0.9 s a generated case here), and the compiled paths of TensorFlow and
MXNet (0.4 s and less) too, against 0.01-0.1 s for the other paths. So that 2000 cases fit
in 10 minutes on 2 cores, they run on one generated case in `compiling_every`: Hypothesis
draws which (a reproducible part of the example) and shrinks towards running them.

A worker that dies on a case (a signal, an abort in its framework) or passes its deadline
(`conformance.harness.workers.CASE_DEADLINE_S`) is a verdict: the fuzzer stops there, names
the backend, the signal and what the worker printed last, writes the case as a regression
case and exits 1. It does not go on with a fresh worker: a framework that corrupts its memory
corrupts it again, and shrinking would restart a framework per try.

It also checks the tolerance policy of spec/tolerance.py on generated cases: a result off
by 0.99 of the bound is never a false alarm, and one off by 10 times the bound is caught.
"""

import json
import pathlib
import sys
import time

import numpy as np
from hypothesis import HealthCheck, example, given, seed, settings, strategies as st

from convsuite.conformance.fuzz import generate
from convsuite.conformance.fuzz.workers import Worker
from convsuite.conformance.harness.compare import compare
from convsuite.conformance.harness.judge import judge
from convsuite.conformance.harness.results import decode
from convsuite.conformance.harness.runner import run_case
from convsuite.conformance.harness.workers import Death, Unavailable
from convsuite.spec import cases, reference, tolerance


# The paths that compile nothing, in a backend whose every path does not compile per shape
# (it declares "compiles_every_path", which its worker reports when it starts).
CHEAP_PATHS = ["builtin"]  # and the fast path, which always runs


def disagreements(workers, raw, compiling=True):
    """Every problem with one case: a backend that is not deterministic, or any failure.
    Without `compiling`, only the cheap paths of the backends that have them run."""
    sent = [w for w in workers if compiling or not w.compiles_every_path]
    for worker in sent:
        worker.send([raw], repeat=2, paths=None if compiling else CHEAP_PATHS)
    problems, documents = [], []
    for worker in sent:
        try:
            first, second = worker.receive()
        except Death as death:
            raise WorkerDied(death, raw) from None
        if json.dumps(first) != json.dumps(second):
            problems.append(f"backend {worker.name}: a second run is not bit-identical to the first")
        documents.append({"backend": worker.name, **first})
    outcome = compare(documents, [raw])
    return problems + [str(failure) for failure in outcome.failures], outcome.known


class WorkerDied(BaseException):
    """A worker died on a generated case. A BaseException, so that Hypothesis stops at once
    instead of shrinking: every try would restart a framework that may die again."""

    def __init__(self, death, raw):
        super().__init__(str(death))
        self.death, self.raw = death, raw


def _report_death(died, out):
    path = _write_regression(died.raw, [str(died.death)], out)
    death = died.death
    print(f"WORKER DIED: backend {death.backend} {death.how} on a generated case "
          f"({died.raw['op']}, {died.raw.get('dtype', 'float32')}, path {death.path}), written to {path}")
    print(f"  last output: {death.tail or '(nothing)'}")
    return 1


def _write_regression(raw, problems, out):
    case = {**raw, "id": f"fuzz-regression-{abs(hash(json.dumps(raw, sort_keys=True))) % 10**8:08d}",
            "note": "found by the fuzzer: " + "; ".join(problems)[:500]}
    out = pathlib.Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"cases": [case]}, indent=1) + "\n")
    return out


FUZZ_SETTINGS = dict(database=None, deadline=None, print_blob=False,
                     suppress_health_check=list(HealthCheck))


def threshold_cases():
    """The large built-in cases, which cross every size threshold the backends declare
    (tests/test_thresholds.py checks that they do): explicit examples of every run, through
    every path, so that no run leaves a size regime to chance."""
    return [raw for raw in cases.load() if cases.is_large(raw)]


def fuzz_backends(workers, *, examples, seed_value, out, compiling_every=1, explicit=()):
    """Run the `explicit` cases, then `examples` generated cases; on failure write the shrunk
    case to `out`. The compiling paths run on every explicit case and on one generated case
    in `compiling_every` (1: on every case)."""
    found, checked, known, compiled = {}, [0], [], [0]

    @settings(max_examples=examples, **FUZZ_SETTINGS)
    @seed(seed_value)
    @given(generate.cases(), st.sampled_from([True] + [False] * (compiling_every - 1)))
    def every_backend_agrees(raw, compiling):
        checked[0] += 1
        compiled[0] += compiling
        if checked[0] % 100 == 0:
            print(f"[fuzz] {checked[0]} cases through {len(workers)} backends "
                  f"({compiled[0]} with the compiling paths)", file=sys.stderr)
        problems, met = disagreements(workers, raw, compiling)
        known.extend(met)
        if problems:
            found.update(raw=raw, problems=problems)  # the last failure Hypothesis runs is the smallest
        assert not problems, problems

    for raw in reversed(explicit):  # run first, in order, before anything is generated
        every_backend_agrees = example(raw, True)(every_backend_agrees)
    try:
        every_backend_agrees()
    except WorkerDied as died:
        return _report_death(died, out)
    except AssertionError:
        path = _write_regression(found["raw"], found["problems"], out)
        print(f"DISAGREEMENT, smallest case written to {path}:")
        for problem in found["problems"]:
            print(f"  {problem}")
        return 1
    print(f"fuzz: {len(explicit)} large cases crossing every declared threshold and "
          f"{checked[0] - len(explicit)} generated cases (seed {seed_value}), every backend agrees "
          f"and repeats itself bit for bit")
    if compiling_every > 1:
        every = sorted(w.name for w in workers if not w.compiles_every_path)
        sampled = sorted(w.name for w in workers if w.compiles_every_path)
        print(f"fuzz: the fast and built-in paths of {', '.join(every)} ran every case; "
              f"{' and '.join(sampled + ['the compiled paths'])} ran {compiled[0]} of them "
              f"(--compiling-every {compiling_every})")
    names = sorted({met.name for met in known})
    if known:
        print(f"fuzz: {len(known)} results met documented differences (spec/differences.py): {names}")
    return 0


def _perturbed(result, fields, bounds, *, factor, rng):
    """The result with every finite element of finite bound moved by factor * bound, in random
    directions (an infinite bound allows no infinite error: harness.judge.worst)."""
    moved = dict(result)
    for name in fields:
        value = decode(result[name])
        sign = rng.choice([-1.0, 1.0], value.shape)
        movable = np.isfinite(value) & np.isfinite(np.broadcast_to(bounds[name], value.shape))
        with np.errstate(invalid="ignore"):
            moved[name] = np.where(movable, value + sign * factor * bounds[name], value).tolist()
    return moved


def check_tolerance_policy(examples, seed_value):
    """Near the bound is no false alarm; ten times the bound is always caught.

    The perturbed results are judged by `compare`'s own per-field judge, against the same
    reference result and the same tolerance `compare` uses.
    """
    rng, counts = np.random.default_rng(seed_value), {"near": 0, "caught": 0}

    @settings(max_examples=examples, **FUZZ_SETTINGS)
    @seed(seed_value)
    @given(generate.cases())
    def policy_holds(raw):
        case = cases.parse(raw)
        exact = run_case(reference, raw)
        bounds, allowed = tolerance.bounds(case, case.dtype), tolerance.versus_reference(case)
        near = _perturbed(exact, case.outputs, bounds, factor=0.99, rng=rng)
        assert not judge(near, exact, tol=allowed, fields=case.outputs, against="the reference", column="perturbed",
                         case=raw["id"]).failures, "a false alarm"
        counts["near"] += 1
        finite = {f: np.where(np.isfinite(decode(exact[f])), bounds[f], 0)
                  for f in case.outputs}
        name = max(finite, key=lambda f: np.max(finite[f]))
        index = np.unravel_index(np.argmax(finite[name]), finite[name].shape)
        if finite[name][index] == 0:
            return  # every element is NaN or infinite: nothing finite to move
        far = decode(exact[name]).copy()
        far[index] += 10 * finite[name][index]
        assert judge({**exact, name: far.tolist()}, exact, tol=allowed, fields=case.outputs, against="the reference",
                     column="perturbed", case=raw["id"]).failures, \
            "a 10x error passed"
        counts["caught"] += 1

    policy_holds()
    print(f"tolerance policy: {counts['near']} results at 0.99x the bound passed, "
          f"{counts['caught']} results 10x off were caught (seed {seed_value})")


def main(args):
    if args.compiling_every < 1:
        raise SystemExit(f"--compiling-every must be 1 or more, got {args.compiling_every}")
    started = time.perf_counter()
    check_tolerance_policy(args.tolerance_cases, args.seed)
    workers, status = [], 1
    try:
        for spec in args.python:
            workers.append(Worker(*spec.split("=", 1)))
            print(f"[fuzz] worker {workers[-1].name}: {workers[-1].versions['framework']}", file=sys.stderr)
        status = fuzz_backends(workers, examples=args.examples, seed_value=args.seed, out=args.out,
                               compiling_every=args.compiling_every, explicit=threshold_cases())
    except Death as death:  # it died starting, before any case
        print(f"WORKER DIED: {death}")
    except Unavailable as exc:  # a --python whose environment lacks the framework
        print(f"error: {exc}", file=sys.stderr)
        status = 2
    finally:
        for worker in workers:
            death = worker.close()
            if death and status == 0:  # it died after its last answer: still no pass
                print(f"WORKER DIED after the last case: {death}")
                status = 1
    print(f"fuzz: {time.perf_counter() - started:.0f} s in all")
    return status
