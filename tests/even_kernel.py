"""A 2x2 kernel over a 2x2 input with "same" padding: the smallest case where a framework's
split of an odd total padding shows (the spec puts the extra row and column after). The
frameworks' facts (backends/NAME/tests/) measure their own "same" against it."""

import numpy as np

EVEN_X = np.array([[1.0, 2.0], [3.0, 4.0]])
EVEN_K = np.array([[1.0, 10.0], [100.0, 1000.0]])
# "same" for a 2x2 kernel pads (0, 1) on both axes: the extra row and column after
# (tests/test_framework_geometry.py shows the reference gives it).
EVEN_SAME = np.array([[4321.0, 402.0], [43.0, 4.0]])
