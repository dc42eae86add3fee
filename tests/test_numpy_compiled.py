"""The NumPy backend's compiled path (Numba): what the conformance cases cannot see, that its
results do not depend on the threads, and that its machine code is cached outside the
checkout."""

import pathlib

import numpy as np
import pytest

from backends import numpy_backend
from spec import cases

ROOT = pathlib.Path(__file__).resolve().parent.parent
LARGE = ("large-corr2d-one-channel", "large-corr2d-channels-float64", "large-learn-channels")


def _inputs(case_id):
    return cases.parse(next(raw for raw in cases.load() if raw["id"] == case_id)).inputs


def _run(case_id):
    inputs = _inputs(case_id)
    if "Y" in inputs:
        losses, K, bias = numpy_backend.learn_compiled(**inputs)
        return np.array(losses).tobytes() + K.tobytes() + bias.tobytes()
    return numpy_backend.corr2d_compiled(**inputs).tobytes()


@pytest.mark.parametrize("case_id", LARGE)
def test_one_thread_and_every_thread_give_the_same_bits(case_id, monkeypatch):
    """Each output element is summed by one thread in the kernel's order: spreading the rows
    over the threads (the cases are above PARALLEL_LIMIT) changes no bit."""
    import numba

    if numba.get_num_threads() < 2:
        pytest.skip("Numba has one thread here: nothing to spread")
    threads = numba.get_num_threads()
    parallel = _run(case_id)
    monkeypatch.setattr(numpy_backend, "PARALLEL_LIMIT", 1 << 62)  # every kernel on one thread
    assert _run(case_id) == parallel
    assert numba.get_num_threads() == threads  # the one-thread call gives the threads back


def test_the_kernels_are_cached_outside_the_checkout():
    numpy_backend.corr2d_compiled(np.ones((6, 8), np.float32), np.ones((1, 2), np.float32))
    import numba

    cache = pathlib.Path(numba.config.CACHE_DIR).resolve()
    assert not cache.is_relative_to(ROOT), f"Numba writes its cache into the checkout: {cache}"
    assert any(cache.rglob("numba_kernels.corr2d-*.nbi")), f"no cached corr2d kernel in {cache}"
