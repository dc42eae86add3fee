"""Documented framework differences: where a framework's own layer departs from the contract.

Each one was found (by the fuzzer or by hand), is pinned down by a test that fails the day
the framework changes, and is accepted by `compare` only under exactly its conditions. The
matrix then shows the cell as "known", and `compare` lists it: it never reads as a plain pass.

One that gives "crash" is a framework bug that corrupts memory: its result may be anything,
or the process dies. `run` computes such a case alone in a child process of its own
(`conformance.harness.supervised`), and the difference excuses exactly a "WorkerDied" error
or numbers of the right shape in its fields, nothing else.
"""

from dataclasses import dataclass
from typing import Callable

import numpy as np

# What a difference gives where the contract's IEEE arithmetic gives something else.
GIVES = ("nan", "number", "crash")
# The error of a case whose worker process died on it (`conformance.harness.workers`).
WORKER_DIED = "WorkerDied"


@dataclass(frozen=True)
class Difference:
    name: str
    columns: tuple  # the results columns it concerns, e.g. ("tensorflow:builtin",)
    ops: tuple
    fields: tuple
    when: Callable  # when(case) -> whether the case meets the difference's conditions
    gives: str  # "nan": NaN where the contract has a number; "number": a number where it has NaN;
    # "crash": the process dies, or any numbers (the framework wrote over its own memory)
    why: str

    def applies(self, column, case):
        return column_kind(column) in self.columns and case.op in self.ops and self.when(case)

    def excused(self, result, expected):
        """The result with the elements this difference allows put back to the expected values."""
        if self.gives == "crash":
            return self._excused_crash(result, expected)
        result = dict(result)
        for name in (field for field in self.fields if field in result):
            got = np.asarray(result[name], dtype=np.float64)
            want = np.asarray(expected[name], dtype=np.float64)
            if got.shape == want.shape:
                nan_got, nan_wanted = np.isnan(got), np.isnan(want)
                allowed = nan_got & ~nan_wanted if self.gives == "nan" else ~nan_got & nan_wanted
                result[name] = np.where(allowed, want, got).tolist()
        return result

    def _excused_crash(self, result, expected):
        """The expected result for a worker's death or for fields of the right shape,
        whatever their numbers; any other error or shape stays as it is."""
        if "error" in result:
            died = isinstance(result["error"], dict) and result["error"].get("type") == WORKER_DIED
            return {k: v for k, v in expected.items() if k != "error"} if died else result
        result = dict(result)
        for name in (field for field in self.fields if field in result and field in expected):
            if np.shape(result[name]) == np.shape(expected[name]):
                result[name] = expected[name]
        return result


def _dilated_with_non_finite_input(case):
    return max(case.geometry.dilation) > 1 and not np.isfinite(case.inputs["X"]).all()


def _keras_same_with_non_finite_kernel(case):
    kernel = case.inputs["weight"] if case.op == "layer" else case.inputs["K"]
    g = case.geometry
    stride_with_dilation = max(g.stride) > 1 and max(g.dilation) > 1  # Keras' "same" is not used there
    return (case.dtype == "float32" and g.padding_name == "same" and g.padding_mode == "zeros"
            and not stride_with_dilation and not np.isfinite(kernel).all())


def _float64_one_channel_groups_with_non_finite_input(case):
    g = case.geometry
    return (case.dtype == "float64" and g.groups > 1 and g.x4[1] == g.groups
            and not np.isfinite(case.inputs["X"]).all())


def _non_finite_input_or_kernel(case):
    kernel = case.inputs["weight"] if case.op == "layer" else case.inputs["K"]
    return not (np.isfinite(case.inputs["X"]).all() and np.isfinite(kernel).all())


def _float64_grouped_dilated_padded_axis(case):
    g = case.geometry
    return (case.dtype == "float64" and g.groups > 1 and g.x4[1] // g.groups > 1
            and any(d > 1 and min(pad) > 0 for d, pad in zip(g.dilation, g.padding)))


DIFFERENCES = [
    Difference(
        name="tensorflow-dilated-kernel-gradient-nan",
        columns=("tensorflow:builtin",),
        ops=("grad",),
        fields=("dK",),
        when=_dilated_with_non_finite_input,
        gives="nan",
        why=(
            "TensorFlow computes a dilated convolution by space-to-batch: the input elements "
            "between the kernel's taps form extra batches whose outputs are computed, then "
            "dropped. Their upstream gradient is zero, and zero times a non-finite input "
            "there is NaN in dK (also where the true dK is infinite), although by definition "
            "those elements reach no output."
        ),
    ),
    Difference(
        name="keras-same-skips-the-padding",
        columns=("tensorflow:builtin",),
        ops=("corr2d", "conv2d", "layer", "grad"),
        fields=("Y", "dX", "dK", "db"),
        when=_keras_same_with_non_finite_kernel,
        gives="number",
        why=(
            "Keras' Conv2D(padding=\"same\") in float32 (oneDNN's convolution on the CPU) "
            "leaves the padded positions out of the sums instead of multiplying their zeros: "
            "an infinite or NaN kernel tap over the border gives a number where IEEE "
            "arithmetic (0 * inf) gives NaN. In float64, and with explicit padding "
            "(ZeroPadding2D in front), the zeros take part."
        ),
    ),
    Difference(
        name="xla-float64-groups-of-one-channel-mix-the-groups",
        columns=("tensorflow:builtin", "jax:builtin"),
        ops=("corr2d", "conv2d", "layer"),
        fields=("Y",),
        when=_float64_one_channel_groups_with_non_finite_input,
        gives="nan",
        why=(
            "XLA on the CPU (flax's nn.Conv, and Keras 3, which compiles every grouped "
            "convolution with XLA there) computes a float64 convolution whose groups have one "
            "input channel each (depthwise too) against every input channel, with zeros off "
            "each group's own: zero times an infinite or NaN input in one group makes every "
            "other group's outputs there NaN, although by definition that input reaches only "
            "its own group. In float32, or with more input channels per group, the groups "
            "stay apart."
        ),
    ),
    Difference(
        name="tensorflow-grouped-dilated-gradient-corrupts-memory",
        columns=("tensorflow:builtin",),
        ops=("grad",),
        fields=("dX", "dK", "db"),
        when=_float64_grouped_dilated_padded_axis,
        gives="crash",
        why=(
            "TensorFlow's gradient of Keras' grouped Conv2D in float64, dilated along an axis "
            "padded on both sides, writes past its buffers: dX of 1e248 or inf, or glibc aborts "
            "the process (\"corrupted size vs. prev_size\", \"corrupted double-linked list\"). "
            "Found by the fuzzer (seed 7); its smallest form is regression-tensorflow-grouped-"
            "dilated-grad-corrupts-memory: X 2x4x32x4, K 4x2x1x1, groups 2, dilation (1, 3), "
            "two zeros each side of the width (one zero, three, dilation 2 or 4, one input "
            "channel per group, or float32 ran clean). The case runs alone in a child process."
        ),
    ),
    Difference(
        name="mxnet-numpy-mode-sum-of-an-infinity-is-nan",
        columns=("mxnet:learner",),
        ops=("corr2d", "conv2d", "layer"),
        fields=("Y",),
        when=_non_finite_input_or_kernel,
        gives="nan",
        why=(
            "After npx.set_np() (the book's MXNet chapters), mxnet.numpy's sum of an array that "
            "holds an infinity is NaN ([1, -inf, 2] sums to NaN, not -inf), so the lesson's "
            "corr2d, `(X[i:i + h, j:j + w] * K).sum()`, gives NaN where IEEE arithmetic gives "
            "an infinity. The suite's own MXNet backend sums with `nd`, which does not; a "
            "learner's code checked by `check` in MXNet's numpy mode meets it."
        ),
    ),
]


def column_kind(column):
    """The column a difference names: a learner's results (`check --out` names them
    "TARGET@BACKEND") are their backend's "BACKEND:learner"."""
    return f"{column.rsplit('@', 1)[1]}:learner" if "@" in column else column


def matching(column, case):
    return [d for d in DIFFERENCES if d.applies(column, case)]


def crashes(column, raw):
    """Whether a documented difference says this raw case kills or corrupts the framework on
    this column: it must then run in a process of its own."""
    from convsuite.spec import cases

    candidates = [d for d in DIFFERENCES if d.gives == "crash" and column_kind(column) in d.columns
                  and raw.get("op") in d.ops]
    if not candidates:  # most columns and cases: no need to parse (generate) the case
        return False
    try:
        case = cases.parse(raw)
    except Exception:  # a broken case raises on every path, in the worker, as a result
        return False
    return any(d.when(case) for d in candidates)
