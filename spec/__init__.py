"""The backend-neutral contract of convsuite.

`spec` imports NumPy and nothing else. It holds:

- `reference`: the float64 reference (corr2d, conv2d, the Conv2D forward and its
  gradients, the kernel-learning loop);
- `shapes`: the output-shape rule;
- `contract`: the error contract (which bad input raises which exception);
- `cases`: the case format and the golden case files in `spec/cases/`;
- `tolerance`: the per-dtype tolerance, derived from a rounding-error bound.
"""
