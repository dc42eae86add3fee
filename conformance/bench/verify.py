"""The bench checks what it times: every timed result, on every path and at every size, is
judged against the float64 reference within the derived tolerance (`spec.tolerance`), the
way `compare` judges a case. A wrong result is a verdict naming the backend, the path and
the size; it gets no timing.

The timed inputs are cases like any other: corr2d of generated uniform arrays
(`spec.generated`), so that the numbers, and their reference, are the same in every worker.
"""

import numpy as np

from convsuite.conformance.harness.judge import judge
from convsuite.conformance.harness.runner import run_case
from convsuite.spec import cases, generated, reference, tolerance


def corr2d_case(size, x_shape, k_shape, *, one_tap=False):
    """The raw corr2d case the bench times at `size` (with a 1x1 kernel of one: one tap)."""
    kernel = [[1.0]] if one_tap else generated.describe("uniform", k_shape, seed=2)
    return {"id": f"bench-{size}" + ("-1x1" if one_tap else ""), "op": "corr2d",
            "X": generated.describe("uniform", x_shape, seed=1), "K": kernel}


def problem(backend, raw, outputs):
    """None where `outputs` ({field: tensor}) agree with the reference, else the first
    disagreement in words. Only the fields given are judged (the bare loop gives losses)."""
    case = cases.parse(raw)
    expected = run_case(reference, raw)
    got = {field: np.asarray(value if isinstance(value, (list, np.ndarray)) else backend.to_numpy(value))
           for field, value in outputs.items()}
    fields = [field for field in case.outputs if field in got]
    failures = judge(got, expected, tol=tolerance.versus_reference(case), fields=fields, against="the reference",
                     column=backend.name, case=raw["id"]).failures
    return str(failures[0]) if failures else None
