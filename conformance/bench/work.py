"""What the benchmark measures against: its sizes and learning cases, the work a corr2d must
do (bytes, flops, loop iterations), and the machine's floor (a large copy's bandwidth, a
float32 matrix product's rate), the time no implementation can beat here."""

import math
import time

# name -> (X shape, K shape); the last is the multi-channel case (C_in = C_out = 32).
SIZES = {
    "6x8/1x2": ((6, 8), (1, 2)),
    "64x64/3x3": ((64, 64), (3, 3)),
    "256x256/3x3": ((256, 256), (3, 3)),
    "1024x1024/5x5": ((1024, 1024), (5, 5)),
    "4096x4096/5x5": ((4096, 4096), (5, 5)),
    "32ch-64x64/3x3": ((32, 64, 64), (32, 32, 3, 3)),
}
# The loop path runs up to this many (output element, input channel, output channel)
# triples, one Python iteration each (64x64/3x3 has 62*62); above, it is estimated.
LOOP_LIMIT = 64 * 64
# path -> the learn case timed (its case-file "layer": "builtin", or "custom" for the fast path)
LEARN_CASES = {"builtin": "learn-edge-builtin", "fast": "learn-edge-custom"}
def work(x_shape, k_shape):
    """Bytes a corr2d must move (float32 input, kernel and output, each once), its flops
    (a multiply and an add per tap) and its loop iterations (output elements times channel pairs)."""
    from convsuite.spec.shapes import conv_geometry  # NumPy: after the worker's timed import

    g = conv_geometry(x_shape, k_shape)  # the lesson's geometry: no padding, stride 1
    outputs = g.out4[0] * g.out4[1] * g.out4[2] * g.out4[3]
    taps = g.k4[1] * g.k4[2] * g.k4[3]
    inputs, kernel = math.prod(x_shape), math.prod(k_shape)
    return {"bytes": 4 * (inputs + kernel + outputs), "flops": 2 * outputs * taps,
            "loop_iterations": outputs * g.k4[1], "input_bytes": 4 * inputs, "output_bytes": 4 * outputs}


def floor_seconds(bytes_moved, flops, floor):
    """The time no implementation can beat here: moving the bytes at copy bandwidth, or doing
    the flops at the matrix-product rate, whichever takes longer."""
    return max(bytes_moved / floor["copy_bytes_per_s"], flops / floor["matmul_flops_per_s"])


def measure_floor(copy_mib=256, matmul_n=2048, rounds=7):
    """The machine's best copy bandwidth (bytes read + written per second) and float32 matmul
    rate in NumPy: the fastest of `rounds` runs, since a floor is what the hardware can do."""
    import numpy as np

    src = np.ones(copy_mib << 18, np.float32)
    dst = np.zeros_like(src)  # touched, so the copy measures bandwidth, not page faults
    copy = _fastest(lambda: np.copyto(dst, src), rounds)
    fresh = _fastest(lambda: src.copy(), rounds)  # a new array: its pages are faulted in too
    rng = np.random.default_rng(0)
    A, B = (rng.random((matmul_n, matmul_n), dtype=np.float32) for _ in range(2))
    C = np.empty_like(A)
    matmul = _fastest(lambda: np.matmul(A, B, out=C), rounds)
    return {"copy_bytes_per_s": 2 * src.nbytes / copy, "fresh_copy_bytes_per_s": 2 * src.nbytes / fresh,
            "matmul_flops_per_s": 2 * matmul_n**3 / matmul, "copy_mib": copy_mib, "matmul_n": matmul_n,
            "numpy": np.__version__}


def best_floor(*floors):
    """The higher rates of several floor measurements (taken before and after the workers)."""
    rates = ("copy_bytes_per_s", "fresh_copy_bytes_per_s", "matmul_flops_per_s")
    return {**floors[0], **{rate: max(floor[rate] for floor in floors) for rate in rates},
            "measurements": list(floors)}


def _fastest(call, rounds):
    call()
    times = []
    for _ in range(rounds):
        started = time.perf_counter()
        call()
        times.append(time.perf_counter() - started)
    return min(times)
