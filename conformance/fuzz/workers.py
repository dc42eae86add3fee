"""The fuzzer's side of a backend worker: a `python -m conformance serve` process in that
backend's own environment, fed case batches as JSON lines (`conformance.harness.serve`)."""

import json
import subprocess

from convsuite.conformance.environments.run import code_path
from convsuite.conformance.harness.environment import worker_environment


class Worker:
    """A `python -m conformance serve` process in one backend's environment."""

    def __init__(self, name, python):
        self.name = name
        self.process = subprocess.Popen(
            [python, "-m", "convsuite.conformance", "serve", "--backend", name], cwd=code_path(),
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
            env=worker_environment(name, one_thread=True),  # the workers run side by side
        )
        hello = self._read()
        self.versions = hello["versions"]
        self.compiles_every_path = hello["compiles_every_path"]

    def _read(self):
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"the {self.name} worker stopped (exit code {self.process.wait()})")
        return json.loads(line)

    def send(self, raw_cases, repeat, paths=None):
        self.process.stdin.write(json.dumps({"cases": raw_cases, "repeat": repeat, "paths": paths}) + "\n")
        self.process.stdin.flush()

    def receive(self):
        return self._read()["runs"]

    def close(self):
        self.process.stdin.close()
        self.process.wait()
