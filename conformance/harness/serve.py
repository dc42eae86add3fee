"""A backend worker for the fuzzer: JSON lines in on stdin, JSON lines out on stdout.

Each request is ``{"cases": [...], "repeat": R, "paths": [...] or null}``; each answer is
``{"runs": [...]}``, R results documents' worth of those paths (null: every path; see
`conformance.harness.runner.run_paths`), so the fuzzer can
check that a second run is bit-identical to the first. One worker runs per backend, in that
backend's own environment, started by `conformance.fuzz`.
"""

import json
import os
import sys

from convsuite.conformance.harness import runner


def serve(backend):
    # Frameworks print to stdout at times; keep the protocol's stream for answers alone.
    answers = os.fdopen(os.dup(sys.stdout.fileno()), "w")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())
    hello = {"ready": backend.name, "versions": backend.versions(),
             "compiles_every_path": backend.offers("compiles_every_path")}
    answers.write(json.dumps(hello) + "\n")
    answers.flush()
    for line in sys.stdin:
        request = json.loads(line)
        runs = [runner.run_paths(backend, request["cases"], paths=request.get("paths"))
                for _ in range(request.get("repeat", 1))]
        answers.write(json.dumps({"runs": runs}) + "\n")
        answers.flush()
