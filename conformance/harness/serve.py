"""A backend worker: JSON lines in on stdin, JSON lines out on stdout (`python -m conformance
serve --backend NAME`, started by `run`, the fuzzer and the bench through
`conformance.harness.workers`).

It first says ``{"ready": NAME, "versions", "compiles_every_path", "paths"}`` (the paths the
backend offers, fast first), or ``{"unavailable": why}`` and exits when the framework cannot
load. Each request is ``{"cases": [...], "paths": [...] or null, "repeat": R}``: every case
that a path computes (`runner.applies`), path after path (null: every path offered),
R times (the fuzzer checks that a second run is bit-identical to the first). Each item is
announced before it runs, ``{"running": true, "run", "path", "index"}`` (the index into the
request's cases), and answered when done, ``{"result": ..., "run", "path", "index"}``, so
that the parent knows which case was in flight when the framework killed the process; then
``{"done": true}``.
"""

import json
import os
import sys
from typing import Any

from convsuite import backends
from convsuite.conformance.harness import runner


def serve(name: str) -> int:
    # Frameworks print to stdout at times; keep the protocol's stream for answers alone.
    answers = os.fdopen(os.dup(sys.stdout.fileno()), "w")
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())

    def say(message: dict[str, Any]) -> None:
        answers.write(json.dumps(message) + "\n")
        answers.flush()

    try:
        backend = backends.load(name)
    except backends.BackendUnavailable as exc:
        say({"unavailable": str(exc)})
        return 3
    offered = [path for path in runner.PATHS if runner.offers(backend, path)]
    say({"ready": backend.name, "versions": backend.versions(), "paths": offered,
         "compiles_every_path": backend.offers("compiles_every_path")})
    for line in sys.stdin:
        request = json.loads(line)
        raw_cases, paths = request["cases"], request.get("paths")
        for run in range(request.get("repeat", 1)):
            parsed: runner.Parsed = {}  # each case is parsed (validated) once, for every path
            for path in (p for p in offered if paths is None or p in paths):
                for index, raw in enumerate(raw_cases):
                    if not runner.applies(raw, path):
                        continue
                    item = {"run": run, "path": path, "index": index}
                    say({"running": True, **item})
                    say({"result": runner.run_case(backend, raw, path, parsed=parsed), **item})
        say({"done": True})
    return 0
