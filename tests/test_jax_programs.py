"""JAX lowers and compiles a program for every new shape, and even with its compilation cache
warm each program costs its tracing and lowering (about 25 ms here). So every program the
JAX backend compiles is one of its own jitted functions, one per case and path: never an array
op run on its own outside them (a `jnp.asarray` of a NumPy array, a transpose of the weight, a
flip, iterating the losses), each of which is one more program per shape."""

import logging
import re

import pytest

from conformance.harness import runner
from spec import cases

OWN = {"_corr2d", "_conv2d", "_builtin", "_apply", "_pullback", "_jitted_step", "_scan"}


def _one_case_per_op_and_dtype():
    chosen = {}
    for raw in cases.load():
        if not cases.is_large(raw) and "error" not in raw.get("expect", {}):
            chosen.setdefault((raw["op"], raw.get("dtype", "float32")), raw)
    return list(chosen.values())


def test_every_program_is_one_of_the_backends_own(backend, caplog):
    if backend.name != "jax":
        pytest.skip(f"the JAX backend's programs: this session runs {backend.name}")
    import jax

    raw_cases = _one_case_per_op_and_dtype()
    assert {raw["op"] for raw in raw_cases} >= {"corr2d", "conv2d", "layer", "grad", "learn"}
    jax.clear_caches()  # so that every program this process compiled before is compiled again
    with jax.log_compiles(True), caplog.at_level(logging.WARNING, logger="jax"):
        for path in runner.PATHS:
            if runner.offers(backend, path):
                runner.run_cases(backend, raw_cases, path, parsed={})
    compiled = [re.match(r"Compiling jit\((\w+)\)", r.getMessage()) for r in caplog.records]
    names = [m.group(1) for m in compiled if m]
    assert names, "no program was compiled: the test would see nothing"
    assert set(names) <= OWN, f"programs outside the backend's own: {sorted(set(names) - OWN)}"
