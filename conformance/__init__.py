"""The conformance harness: run cases through one backend, write results, compare them.

- `runner`: evaluates cases with one backend (or the float64 reference) in this process;
- `results`: the results file format;
- `compare`: judges results of any number of backends against the reference and each other;
- `__main__`: the ``python -m conformance run|compare`` command line.
"""
