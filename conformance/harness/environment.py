"""The environment a backend's worker process starts in (the fuzzer's and the bench's).

The backend's declared variables (`backends.contract`: log level, determinism) are set
unless the caller's environment already sets them, this convsuite goes on PYTHONPATH, and
with `one_thread` every thread pool keeps to one thread: the fuzzer runs its workers side
by side, and several frameworks' pools spinning on the same cores slow every one of them
down many times over.
"""

import os
from collections.abc import Mapping

from convsuite import backends
from convsuite.conformance.environments.run import code_path

# Thread pools every framework's native libraries share (OpenMP, MKL, OpenBLAS); each
# backend declares its own on top ("threads").
COMMON_THREADS = ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS")


def worker_environment(name: str, one_thread: bool = False, extra: Mapping[str, str] | None = None) -> dict[str, str]:
    declaration = backends.declaration(name)
    env = {**declaration.environment, **(extra or {}), **os.environ, "PYTHONPATH": str(code_path())}
    if one_thread:
        env.update({variable: "1" for variable in COMMON_THREADS + declaration.threads})
    return env
