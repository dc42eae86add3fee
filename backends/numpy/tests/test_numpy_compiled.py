"""The NumPy backend's compiled path (Numba): what the conformance cases cannot see, that its
results do not depend on the threads, and that its machine code is cached outside the
checkout."""

import pathlib

import numpy as np
import pytest

from convsuite.backends import numpy as numpy_backend
from convsuite.backends.numpy import compiled
from convsuite.spec import cases, tolerance
from convsuite.spec.shapes import Geometry

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
    monkeypatch.setattr(compiled, "PARALLEL_LIMIT", 1 << 62)  # every kernel on one thread
    assert _run(case_id) == parallel
    assert numba.get_num_threads() == threads  # the one-thread call gives the threads back


def test_the_kernels_are_cached_outside_the_checkout():
    numpy_backend.corr2d_compiled(np.ones((6, 8), np.float32), np.ones((1, 2), np.float32))
    import numba

    cache = pathlib.Path(numba.config.CACHE_DIR).resolve()
    assert not cache.is_relative_to(ROOT), f"Numba writes its cache into the checkout: {cache}"
    assert any(cache.rglob("kernels.corr2d-*.nbi")), f"no cached corr2d kernel in {cache}"


@pytest.mark.parametrize("geometry", [
    {"x": (2, 3, 9, 11), "k": (4, 3, 3, 3)},  # several channels, an odd number of output rows
    {"x": (2, 2, 21, 64), "k": (3, 2, 5, 5), "stride": 2, "dilation": 2},  # rows' step = kernel rows'
    {"x": (1, 2, 10, 10), "k": (2, 2, 4, 2), "padding": 1},
    {"x": (1, 1, 30, 70), "k": (1, 1, 9, 1)},  # more taps per channel than a pair's eight
])
def test_rows_in_pairs_give_the_bits_of_one_row_at_a_time(geometry, monkeypatch):
    """The kernels take output rows two at a time where they read the same inputs
    (kernels._rows): each row still adds its taps in the kernel's order, so the bits
    are those of one row at a time, and the pairs do take these geometries."""
    rng = np.random.default_rng(3)
    X, K = (rng.standard_normal(geometry[name]).astype(np.float32) for name in ("x", "k"))
    options = Geometry(**{name: geometry[name] for name in ("padding", "stride", "dilation") if name in geometry})
    paired = numpy_backend.corr2d_compiled(X, K, options)
    original, shifts = compiled._compiled_input, []

    def one_row_at_a_time(*args):
        x, offsets, rows, shift, channel_taps = original(*args)
        shifts.append(shift)
        return x, offsets, rows, 0, channel_taps

    monkeypatch.setattr(compiled, "_compiled_input", one_row_at_a_time)
    assert numpy_backend.corr2d_compiled(X, K, options).tobytes() == paired.tobytes()
    assert shifts == [K.shape[-1]], f"the rows were not paired: shift {shifts}"
    exact = numpy_backend.corr2d(X.astype(np.float64), K.astype(np.float64), options)
    magnitude = numpy_backend.corr2d(np.abs(X).astype(np.float64), np.abs(K).astype(np.float64), options)
    assert np.all(np.abs(paired - exact) <= tolerance.gamma(K[0].size, "float32") * magnitude)
