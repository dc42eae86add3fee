"""Documented framework differences: where a framework's own layer departs from the contract.

Each one was found (by the fuzzer or by hand), is pinned down by a test that fails the day
the framework changes, and is accepted by `compare` only under exactly its conditions. The
matrix then shows the cell as "known", and `compare` lists it: it never reads as a plain pass.
"""

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Difference:
    name: str
    column: str  # the results column it concerns, e.g. "tensorflow:builtin"
    op: str
    fields: tuple
    why: str

    def applies(self, column, case):
        return (column == self.column and case.op == self.op
                and max(case.geometry.dilation) > 1 and not np.isfinite(case.inputs["X"]).all())

    def excused(self, result, expected):
        """The result with the NaNs this difference allows put back to the expected values."""
        result = dict(result)
        for name in self.fields:
            got = np.asarray(result[name], dtype=np.float64)
            want = np.asarray(expected[name], dtype=np.float64)
            if got.shape == want.shape:
                result[name] = np.where(np.isnan(got) & ~np.isnan(want), want, got).tolist()
        return result


DIFFERENCES = [
    Difference(
        name="tensorflow-dilated-kernel-gradient-nan",
        column="tensorflow:builtin",
        op="grad",
        fields=("dK",),
        why=(
            "TensorFlow computes a dilated convolution by space-to-batch: the input elements "
            "between the kernel's taps form extra batches whose outputs are computed, then "
            "dropped. Their upstream gradient is zero, and zero times a non-finite input "
            "there is NaN in dK (also where the true dK is infinite), although by definition "
            "those elements reach no output."
        ),
    ),
]


def matching(column, case):
    return [d for d in DIFFERENCES if d.applies(column, case)]
