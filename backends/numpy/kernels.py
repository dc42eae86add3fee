"""The NumPy backend's compiled path: its kernels, compiled by Numba (compiled.py imports
this module on first use, so that only the compiled path needs Numba).

The input comes laid out by `compiled._compiled_input`: each padded image flattened, so
that every kernel tap reads one contiguous run of it per output row, `offsets[q]` on from
the row's start `rows[i]`. Each output row, or pair of adjacent rows (all its output
channels), is one iteration of a `prange`: one thread sums each output element, tap after
tap in the kernel's order (C_in, kh, kw), so the results do not depend on the threads and
reruns are bit-identical. The row is the cache block: it stays in L1 while every tap adds
into it, as do the C_in*kh input rows it reads (column tiles of 256-2048 outputs measured
no faster at 1024 and 4096 wide).

Eight taps at a time, summed left to right, load and store the row once per eight taps
instead of once per tap: 0.94 ms for 1024x1024 by 5x5 in float32 on one core, against 1.6
ms one tap at a time (a tap's loop over the row vectorizes only over contiguous runs, which
is why strides are split into phases first). The loads are then the bound (most taps'
runs start off a vector's alignment): two adjacent rows read the same input rows one kernel
row apart, and taking them together (`_rows`) loads each input once for both, 0.88 ms
against 1.0 one row at a time on one core (interleaved runs, medians).

Of fastmath, only contraction: each tap's product and add is one fused multiply-add, rounded
once (IEEE 754's fusedMultiplyAdd, so closer to the exact sum, within the same bound): half
the arithmetic instructions, 0.683 ms against 0.763 at 1024x1024 by 5x5 on two threads
(medians of ten interleaved pairs of processes; one thread 0.881 against 0.984). Nothing
else: no reassociation (each element's taps are added in the kernel's order), 0 * inf is NaN
(the padding is zeros np.pad wrote, multiplied like any input) and subnormals are kept.

Each element's sum starts from a zero, `zero + x0 * w0 + x1 * w1 + ...`: from `x0 * w0 +
x1 * w1`, two products, LLVM fuses tap 0 and rounds tap 1 (fma(x0, w0, x1 * w1)), where a
chunk of one tap rounds tap 0 and fuses tap 1, and rows in pairs gave other bits than one
row at a time. From the zero every tap is fused onto the sum before it, in every chunking,
so the bits depend on neither the chunks, the pairs nor the threads
(backends/numpy/tests/test_numpy_compiled.py); only an exact -0 comes out +0.
"""

import os

from convsuite.backends.common import cache_folder

# Numba keeps the machine code it compiles in a user cache folder outside the checkout (the
# workflow keeps ~/.cache/convsuite between runs), so that only a machine's first run
# compiles; a cached kernel is the same code, its results bit-identical. Set before the
# import, which reads it; NUMBA_CACHE_DIR set by the caller wins.
CACHE = cache_folder("numba")
os.environ.setdefault("NUMBA_CACHE_DIR", CACHE)
# Numba's OpenMP threads (its threading layer here) sleep between calls instead of spinning:
# on 2 cores a spinning pool took the cores OpenCV's threads needed in the same process, 1.3
# ms for its filter2D instead of 0.67, and ours ran 0.73 ms instead of 0.60 (read when the
# pool starts, at the first parallel call).
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numba  # noqa: E402 (after its cache folder)
import numpy as np  # noqa: E402

if not numba.config.CACHE_DIR:  # Numba was imported before this module could say where
    numba.config.CACHE_DIR = CACHE

# Compiled on first call, once per dtype (every array C-contiguous, every size an int64, so
# that the geometry never adds a signature); cached across runs; of fastmath only "contract"
# (the docstring says why).
jit = numba.njit(cache=True, fastmath={"contract"})
parallel = numba.njit(cache=True, parallel=True, fastmath={"contract"})


# prange iterations (output rows, or pairs of them) a thread takes at a time: the threads
# take them as they come, so one the scheduler started late (another process had the core)
# leaves its share to the others instead of holding up the call. Which thread sums a row
# changes no bit of it. 1024x1024 by 5x5 on the shared 2-core machine, upper quartile: 3.9
# ms split evenly, 1.8-2.1 ms taken 16-64 rows at a time.
ROWS_PER_CHUNK = 32


def call(kernel, parallel, *args):
    """kernel(*args), its prange loops spread over every thread or (parallel False) run on
    this one: a small problem costs less than waking the others (compiled.py's
    PARALLEL_LIMIT). Numba's thread count is per calling thread, so this changes no other's."""
    if parallel:
        with numba.parallel_chunksize(ROWS_PER_CHUNK):
            return kernel(*args)
    threads = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        return kernel(*args)
    finally:
        numba.set_num_threads(threads)


@jit
def _taps8(out, window, offsets, weights, q, first):
    """out (+)= the products of taps q..q+7, added to it left to right."""
    zero = out.dtype.type(0)  # each element's sum starts from it (see the docstring's end)
    x0, x1, x2, x3 = window[offsets[q]:], window[offsets[q + 1]:], window[offsets[q + 2]:], window[offsets[q + 3]:]
    x4, x5, x6, x7 = window[offsets[q + 4]:], window[offsets[q + 5]:], window[offsets[q + 6]:], window[offsets[q + 7]:]
    w0, w1, w2, w3 = weights[q], weights[q + 1], weights[q + 2], weights[q + 3]
    w4, w5, w6, w7 = weights[q + 4], weights[q + 5], weights[q + 6], weights[q + 7]
    if first:
        for j in range(out.shape[0]):
            out[j] = (zero + x0[j] * w0 + x1[j] * w1 + x2[j] * w2 + x3[j] * w3
                      + x4[j] * w4 + x5[j] * w5 + x6[j] * w6 + x7[j] * w7)
    else:
        for j in range(out.shape[0]):
            out[j] = (out[j] + x0[j] * w0 + x1[j] * w1 + x2[j] * w2 + x3[j] * w3
                      + x4[j] * w4 + x5[j] * w5 + x6[j] * w6 + x7[j] * w7)


@jit
def _taps4(out, window, offsets, weights, q, first):
    zero = out.dtype.type(0)  # each element's sum starts from it (see the docstring's end)
    x0, x1, x2, x3 = window[offsets[q]:], window[offsets[q + 1]:], window[offsets[q + 2]:], window[offsets[q + 3]:]
    w0, w1, w2, w3 = weights[q], weights[q + 1], weights[q + 2], weights[q + 3]
    if first:
        for j in range(out.shape[0]):
            out[j] = zero + x0[j] * w0 + x1[j] * w1 + x2[j] * w2 + x3[j] * w3
    else:
        for j in range(out.shape[0]):
            out[j] = out[j] + x0[j] * w0 + x1[j] * w1 + x2[j] * w2 + x3[j] * w3


@jit
def _taps5(out, window, offsets, weights, q, first):
    zero = out.dtype.type(0)  # each element's sum starts from it (see the docstring's end)
    x0, x1, x2, x3 = window[offsets[q]:], window[offsets[q + 1]:], window[offsets[q + 2]:], window[offsets[q + 3]:]
    x4 = window[offsets[q + 4]:]
    w0, w1, w2, w3, w4 = weights[q], weights[q + 1], weights[q + 2], weights[q + 3], weights[q + 4]
    if first:
        for j in range(out.shape[0]):
            out[j] = zero + x0[j] * w0 + x1[j] * w1 + x2[j] * w2 + x3[j] * w3 + x4[j] * w4
    else:
        for j in range(out.shape[0]):
            out[j] = out[j] + x0[j] * w0 + x1[j] * w1 + x2[j] * w2 + x3[j] * w3 + x4[j] * w4


@jit
def _taps1(out, window, offsets, weights, q, first):
    zero = out.dtype.type(0)  # each element's sum starts from it (see the docstring's end)
    x0, w0 = window[offsets[q]:], weights[q]
    if first:
        for j in range(out.shape[0]):
            out[j] = zero + x0[j] * w0
    else:
        for j in range(out.shape[0]):
            out[j] = out[j] + x0[j] * w0


@jit
def _run(out, window, offsets, weights, start, stop, first):
    """out (+)= the products of taps start..stop-1, added in order, eight at a time (then
    five, four, then one by one); `first`: out holds nothing yet. Which chunks sum them
    changes no bit (each adds its taps to the row left to right); five is a 5-wide kernel
    row in one pass instead of two, as `_rows` runs a row's first and last kernel rows:
    0.70-0.77 ms against 0.78-0.91 at 1024x1024 by 5x5 on two threads (interleaved runs)."""
    q = start
    while q + 8 <= stop:
        _taps8(out, window, offsets, weights, q, first and q == start)
        q += 8
    if q + 5 <= stop:
        _taps5(out, window, offsets, weights, q, first and q == start)
        q += 5
    if q + 4 <= stop:
        _taps4(out, window, offsets, weights, q, first and q == start)
        q += 4
    while q < stop:
        _taps1(out, window, offsets, weights, q, first and q == start)
        q += 1


@jit
def _pair8(out0, out1, window, offsets, w, q, shift, first1):
    """Taps q..q+7 into out0 and taps q-shift..q+7-shift into the next output row out1 (the same
    channel's weights w), which reads the same inputs: each input is loaded once for both rows."""
    zero = out1.dtype.type(0)  # each element's sum starts from it (see the docstring's end)
    x0, x1, x2, x3 = window[offsets[q]:], window[offsets[q + 1]:], window[offsets[q + 2]:], window[offsets[q + 3]:]
    x4, x5, x6, x7 = window[offsets[q + 4]:], window[offsets[q + 5]:], window[offsets[q + 6]:], window[offsets[q + 7]:]
    a0, a1, a2, a3, a4, a5, a6, a7 = w[q], w[q + 1], w[q + 2], w[q + 3], w[q + 4], w[q + 5], w[q + 6], w[q + 7]
    p = q - shift
    b0, b1, b2, b3, b4, b5, b6, b7 = w[p], w[p + 1], w[p + 2], w[p + 3], w[p + 4], w[p + 5], w[p + 6], w[p + 7]
    if first1:  # two loops, not a test in one: a branch in the loop keeps it from vectorizing
        for j in range(out0.shape[0]):
            v0, v1, v2, v3, v4, v5, v6, v7 = x0[j], x1[j], x2[j], x3[j], x4[j], x5[j], x6[j], x7[j]
            out0[j] = out0[j] + v0 * a0 + v1 * a1 + v2 * a2 + v3 * a3 + v4 * a4 + v5 * a5 + v6 * a6 + v7 * a7
            out1[j] = zero + v0 * b0 + v1 * b1 + v2 * b2 + v3 * b3 + v4 * b4 + v5 * b5 + v6 * b6 + v7 * b7
    else:
        for j in range(out0.shape[0]):
            v0, v1, v2, v3, v4, v5, v6, v7 = x0[j], x1[j], x2[j], x3[j], x4[j], x5[j], x6[j], x7[j]
            out0[j] = out0[j] + v0 * a0 + v1 * a1 + v2 * a2 + v3 * a3 + v4 * a4 + v5 * a5 + v6 * a6 + v7 * a7
            out1[j] = out1[j] + v0 * b0 + v1 * b1 + v2 * b2 + v3 * b3 + v4 * b4 + v5 * b5 + v6 * b6 + v7 * b7


@jit
def _pair4(out0, out1, window, offsets, w, q, shift, first1):
    zero = out1.dtype.type(0)  # each element's sum starts from it (see the docstring's end)
    x0, x1, x2, x3 = window[offsets[q]:], window[offsets[q + 1]:], window[offsets[q + 2]:], window[offsets[q + 3]:]
    a0, a1, a2, a3 = w[q], w[q + 1], w[q + 2], w[q + 3]
    p = q - shift
    b0, b1, b2, b3 = w[p], w[p + 1], w[p + 2], w[p + 3]
    if first1:
        for j in range(out0.shape[0]):
            v0, v1, v2, v3 = x0[j], x1[j], x2[j], x3[j]
            out0[j] = out0[j] + v0 * a0 + v1 * a1 + v2 * a2 + v3 * a3
            out1[j] = zero + v0 * b0 + v1 * b1 + v2 * b2 + v3 * b3
    else:
        for j in range(out0.shape[0]):
            v0, v1, v2, v3 = x0[j], x1[j], x2[j], x3[j]
            out0[j] = out0[j] + v0 * a0 + v1 * a1 + v2 * a2 + v3 * a3
            out1[j] = out1[j] + v0 * b0 + v1 * b1 + v2 * b2 + v3 * b3


@jit
def _pair1(out0, out1, window, offsets, w, q, shift, first1):
    zero = out1.dtype.type(0)  # each element's sum starts from it (see the docstring's end)
    x0, a0, b0 = window[offsets[q]:], w[q], w[q - shift]
    if first1:
        for j in range(out0.shape[0]):
            out0[j] = out0[j] + x0[j] * a0
            out1[j] = zero + x0[j] * b0
    else:
        for j in range(out0.shape[0]):
            out0[j] = out0[j] + x0[j] * a0
            out1[j] = out1[j] + x0[j] * b0


@jit
def _rows(out0, out1, window, window1, offsets, w, shift, channel_taps):
    """Two adjacent output rows, when row i+1 at tap q reads what row i reads at tap q+shift
    (one kernel row further, `shift` = kernel width: the rows' step is the kernel rows' step).
    Per input channel: out0 takes its first kernel row alone, then both rows take their taps
    together (out1 `shift` taps behind), then out1 its last kernel row alone (from its own
    window1). Each row still adds its taps in the kernel's order: the bits are those of one
    row at a time (backends/numpy/tests/test_numpy_compiled.py)."""
    for c in range(offsets.shape[0] // channel_taps):
        start, stop = c * channel_taps, (c + 1) * channel_taps
        _run(out0, window, offsets, w, start, start + shift, c == 0)
        q = start + shift
        while q + 8 <= stop:
            _pair8(out0, out1, window, offsets, w, q, shift, c == 0 and q == start + shift)
            q += 8
        if q + 4 <= stop:
            _pair4(out0, out1, window, offsets, w, q, shift, c == 0 and q == start + shift)
            q += 4
        while q < stop:
            _pair1(out0, out1, window, offsets, w, q, shift, c == 0 and q == start + shift)
            q += 1
        _run(out1, window1, offsets, w, stop - shift, stop, c == 0 and shift == channel_taps)


@parallel
def corr2d(x, offsets, rows, shift, channel_taps, weights, y):
    """y (N, C_out, H', W') from x (N, flattened padded image) and weights (C_out, taps).
    With shift > 0 (see _rows) output rows go two at a time, each input loaded once for both;
    otherwise one at a time."""
    n, c_out, oh = y.shape[0], y.shape[1], y.shape[2]
    step = 2 if shift > 0 else 1
    units = (oh + step - 1) // step
    for r in numba.prange(n * units):
        image, i = r // units, r % units * step
        window = x[image, rows[i]:]
        for o in range(c_out):
            if i + 1 < oh and step == 2:
                _rows(y[image, o, i], y[image, o, i + 1], window, x[image, rows[i + 1]:], offsets, weights[o], shift,
                      channel_taps)
            else:
                _run(y[image, o, i], window, offsets, weights[o], 0, offsets.shape[0], True)


@parallel
def _gradient(x, offsets, rows, G, dk, db):
    """dk[o, q] = the sum of G[:, o] times tap q's windows, db[o] = the sum of G[:, o]: one
    (o, q) per iteration, each summed image by image, row by row, in order."""
    n, c_out, oh, ow = G.shape
    taps = offsets.shape[0]
    for p in numba.prange(c_out * taps):
        o, q = p // taps, p % taps
        total = G[0, o, 0, 0] * x[0, rows[0] + offsets[q]]
        for image in range(n):
            for i in range(oh):
                g, window = G[image, o, i], x[image, rows[i] + offsets[q]:]
                for j in range(1 if image == 0 and i == 0 else 0, ow):
                    total += g[j] * window[j]
        dk[o, q] = total
    for o in range(c_out):
        total = G[0, o, 0, 0]
        for image in range(n):
            for i in range(oh):
                for j in range(1 if image == 0 and i == 0 else 0, ow):
                    total += G[image, o, i, j]
        db[o] = total


@parallel
def learn(x, offsets, rows, shift, channel_taps, Y, weights, bias, lr, learn_bias, losses):
    """The lesson's loop, every step in this one call: the layer's output (corr2d plus the
    bias), the loss sum((output - Y)**2), its gradient G = 2 * residual back onto the kernel
    and bias, and the update; weights and bias are updated in place, losses written."""
    n, c_out, oh, ow = Y.shape
    out, per_row = np.empty_like(Y), np.empty(n * c_out * oh, Y.dtype)
    dk, db = np.empty_like(weights), np.empty_like(bias)
    for step in range(losses.shape[0]):
        corr2d(x, offsets, rows, shift, channel_taps, weights, out)
        for r in numba.prange(n * c_out * oh):  # residual and G in place, the loss row by row
            image, o, i = r // (c_out * oh), r // oh % c_out, r % oh
            row, target, b = out[image, o, i], Y[image, o, i], bias[o]
            residual = row[0] + b - target[0]
            total = residual * residual
            row[0] = residual + residual
            for j in range(1, ow):
                residual = row[j] + b - target[j]
                total += residual * residual
                row[j] = residual + residual
            per_row[r] = total
        loss = per_row[0]
        for r in range(1, per_row.shape[0]):
            loss += per_row[r]
        losses[step] = loss
        _gradient(x, offsets, rows, out, dk, db)
        for o in range(c_out):
            for q in range(weights.shape[1]):
                weights[o, q] -= lr * dk[o, q]
            if learn_bias:
                bias[o] -= lr * db[o]
