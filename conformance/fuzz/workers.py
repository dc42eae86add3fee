"""The fuzzer's side of a backend worker: a `python -m conformance serve` child in that
backend's own environment (`conformance.harness.workers`), fed one generated case at a time.

A worker that dies or passes its deadline raises `Death` from `receive`: the fuzzer stops
there, with the case as a regression case (`conformance.fuzz.run`).
"""

from convsuite.conformance.harness import workers
from convsuite.conformance.harness.environment import worker_environment

FAST = "fast"  # the path that always runs


class Worker:
    """Sends cases, `repeat` runs each, and receives them as `runner.run_paths` gives them."""

    def __init__(self, name, python, deadline=workers.CASE_DEADLINE_S):
        # one thread per pool: the workers run side by side
        self.worker = workers.Worker(name, python, worker_environment(name, one_thread=True), deadline=deadline)
        self.name, self.versions = name, self.worker.versions
        self.compiles_every_path = self.worker.compiles_every_path

    def send(self, raw_cases, repeat, paths=None):
        self.batch = (raw_cases, None if paths is None else [FAST, *paths], repeat)
        self.worker.send(*self.batch)

    def receive(self):
        raw_cases, paths, repeat = self.batch
        return workers.documents(self.worker.paths, raw_cases, self.worker.receive(), paths=paths, repeat=repeat)

    def close(self):
        return self.worker.close()
