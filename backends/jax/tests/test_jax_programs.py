"""JAX lowers and compiles a program for every new shape, and even with its compilation cache
warm each program costs its tracing and lowering (about 25 ms here). So every program the
JAX backend compiles is one of its own jitted functions, one per case and path: never an array
op run on its own outside them (a `jnp.asarray` of a NumPy array, a transpose of the weight, a
flip, iterating the losses), each of which is one more program per shape."""

import importlib
import logging
import re

import pytest

from convsuite.conformance.harness import runner


def _one_case_per_op_and_dtype(lesson_cases):
    chosen = {}
    for raw in lesson_cases:
        if "error" not in raw.get("expect", {}):
            chosen.setdefault((raw["op"], raw.get("dtype", "float32")), raw)
    return list(chosen.values())


def test_every_program_is_one_of_the_backends_own(backend, lesson_cases, caplog):
    if backend.name != "jax":
        pytest.skip(f"the JAX backend's programs: this session runs {backend.name}")
    import jax

    # the backend's own programs: the jitted functions its folder's modules define, by their names
    package = backend.declaration.module
    modules = [importlib.import_module(package if path.stem == "__init__" else f"{package}.{path.stem}")
               for path in backend.declaration.sources()]
    own = {value.__name__ for module in modules for value in vars(module).values()
           if hasattr(value, "lower") and callable(value)}
    assert {"_corr2d", "_pullback", "_scan"} <= own, f"the backend's jitted functions not found: {sorted(own)}"
    raw_cases = _one_case_per_op_and_dtype(lesson_cases)
    assert {raw["op"] for raw in raw_cases} >= {"corr2d", "conv2d", "layer", "grad", "learn"}
    jax.clear_caches()  # so that every program this process compiled before is compiled again
    with jax.log_compiles(True), caplog.at_level(logging.WARNING, logger="jax"):
        for path in runner.PATHS:
            if runner.offers(backend, path):
                runner.run_cases(backend, raw_cases, path, parsed={})
    compiled = [re.match(r"Compiling jit\((\w+)\)", r.getMessage()) for r in caplog.records]
    names = [m.group(1) for m in compiled if m]
    assert names, "no program was compiled: the test would see nothing"
    assert set(names) <= own, f"programs outside the backend's own: {sorted(set(names) - own)}"
