"""What users would pick instead, timed in the same run as reference rows: OpenCV's
`filter2D` and `scipy.ndimage.correlate`, at the bench's one-channel sizes, in the parent's
process (NumPy arrays in and out), each result verified against the float64 reference
like every backend's. A peer that is not installed is a row that says so, never a gap."""

from convsuite.conformance.bench.worker import first_call, race

INSTALL = "pip install -r requirements/peers.txt (nox -s bench installs it)"


def _opencv():
    import cv2

    def corr2d(X, K):  # anchor (0, 0): output (i, j) is the window from (i, j); crop the valid part
        oh, ow = X.shape[0] - K.shape[0] + 1, X.shape[1] - K.shape[1] + 1
        return cv2.filter2D(X, -1, K, anchor=(0, 0), borderType=cv2.BORDER_CONSTANT)[:oh, :ow]
    return corr2d


def _scipy():
    from scipy import ndimage

    def corr2d(X, K):  # centred at K's middle (k // 2): the valid window starts there
        (kh, kw), (oh, ow) = K.shape, (X.shape[0] - K.shape[0] + 1, X.shape[1] - K.shape[1] + 1)
        return ndimage.correlate(X, K, mode="constant")[kh // 2 : kh // 2 + oh, kw // 2 : kw // 2 + ow]
    return corr2d


PEERS = {"opencv filter2D": _opencv, "scipy.ndimage.correlate": _scipy}


class _Arrays:
    """What `verify.problem` asks of a backend, for functions of NumPy arrays."""

    def __init__(self, name):
        self.name = name

    @staticmethod
    def to_numpy(array):
        return array


def time_peers(sizes, budget):
    """One row per peer and one-channel size: verified, then timed (a wrong result is not)."""
    from convsuite.conformance.bench import verify
    from convsuite.conformance.bench.work import SIZES
    from convsuite.spec import cases

    rows = []
    for peer, load in PEERS.items():
        try:
            corr2d = load()
        except ImportError as exc:
            rows.append({"peer": peer, "error": f"not installed ({exc}): {INSTALL}"})
            continue
        for size in sizes:
            x_shape, k_shape = SIZES[size]
            if len(k_shape) != 2:
                continue
            raw = verify.corr2d_case(size, x_shape, k_shape)
            inputs = cases.parse(raw).inputs
            call = lambda: corr2d(inputs["X"], inputs["K"])  # noqa: E731
            seconds, peak, result = first_call(call)
            wrong = verify.problem(_Arrays(peer), raw, {"Y": result})
            row = {"peer": peer, "size": size}
            if wrong:
                rows.append({**row, "error": f"wrong result: {wrong}"[:500], "verified": False})
                continue
            rows.append({**row, "first_s": seconds, "verified": True, **race({peer: call}, budget)[peer]})
    return rows
