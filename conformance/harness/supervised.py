"""`run`'s cases in a child process, so that a framework that aborts on one case costs that
case alone: it gets a "WorkerDied" error result naming the signal, a fresh child runs the
rest (`conformance.harness.workers`).

The cases a documented difference says corrupt the framework's memory (`spec.differences`,
gives "crash") run each in a child of its own, alone, on that path: the corruption cannot
spill into another case's result, and a child that dies even as it exits, after answering,
counts as that case's death.
"""

import sys
from collections.abc import Mapping, Sequence
from typing import Any

from convsuite.conformance.harness.environment import worker_environment
from convsuite.conformance.harness.runner import PATHS, applies, offers
from convsuite.conformance.harness.results import Result, Runs
from convsuite.conformance.harness.workers import Answers, Death, Progress, Worker, documents
from convsuite.spec import differences
from convsuite.spec.cases import RawCase

# How many times a case that corrupts memory runs in its own child: glibc notices a
# corrupted heap only at a later allocation or free, so one run often ends cleanly (the
# TensorFlow case of spec/differences.py: 2 of 3 runs of one computation each; within three,
# 4 of 4 children died or gave garbage).
ALONE_RUNS = 3


def _progress(name: str, totals: Mapping[str, int]) -> Progress:
    """Every 20th case of a path, and its last, as the line the main job's progress bars read
    (`conformance.launcher.matrix.parse_progress`)."""
    counts: dict[str, int] = {}

    def progress(path: str, case_id: str) -> None:
        counts[path] = done = counts.get(path, 0) + 1
        if done == totals[path] or done % 20 == 0:
            print(f"[{name}:{path}] {done}/{totals[path]} cases (last: {case_id})", file=sys.stderr)

    return progress


def _alone(name: str, python: str, env: Mapping[str, str], *, raw: RawCase, path: str) -> tuple[Result, list[Death]]:
    """One case on one path in a child of its own, ALONE_RUNS times: the first result, or a
    later one that differs from it, or the error of the child's death (even as it exits)."""
    worker = Worker(name, python, env)
    try:
        worker.send([raw], [path], repeat=ALONE_RUNS)
        runs = [result for _, result in sorted(worker.receive().items())]
    except Death as death:
        worker.child.close()  # already dead: its death is reported once
        return {"id": raw["id"], "error": death.error()}, [death]
    died = worker.close()
    if died:
        return {"id": raw["id"], "error": died.error()}, worker.deaths
    return next((run for run in runs if run != runs[0]), runs[0]), worker.deaths


def run_paths(backend: Any, python: str, raw_cases: Sequence[RawCase]) -> tuple[Runs, list[Death]]:
    """(what `runner.run_paths` gives, computed in children; every worker death)."""
    name, env = backend.name, worker_environment(backend.name)
    paths = [path for path in PATHS if offers(backend, path)]
    items = [(path, index) for path in paths for index, raw in enumerate(raw_cases) if applies(raw, path)]
    alone = [(path, index) for path, index in items if differences.crashes(f"{name}:{path}", raw_cases[index])]
    totals = {path: sum(1 for p, index in items if p == path and (p, index) not in alone) for path in paths}
    answers: Answers = {}
    deaths: list[Death] = []
    progress, worker = _progress(name, totals), None
    try:
        worker = Worker(name, python, env)
        for path in paths:  # one batch per path, the isolated cases left out
            indexes = [index for index in range(len(raw_cases)) if (path, index) not in alone]
            worker.send([raw_cases[index] for index in indexes], [path])
            for (_, _, sub), result in worker.receive(restart=True, progress=progress).items():
                answers[0, path, indexes[sub]] = result
    except Death as death:  # it died starting, or again and again between cases: no case to blame
        deaths.append(death)
        for path, index in set(items) - set(alone) - {(p, i) for _, p, i in answers}:
            answers[0, path, index] = {"id": raw_cases[index]["id"], "error": death.error()}
    finally:
        if worker:
            worker.close()
            deaths += [death for death in worker.deaths if death not in deaths]
    for path, index in alone:
        print(f"[{name}:{path}] case {raw_cases[index]['id']} runs alone: a documented difference "
              "says it corrupts the framework's memory", file=sys.stderr)
        answers[0, path, index], died = _alone(name, python, env, raw=raw_cases[index], path=path)
        deaths += died
    (runs,) = documents(paths, raw_cases, answers)
    return runs, deaths
