"""The harness: cases through one backend, results files, and the comparison.

- `runner`: evaluates cases with one backend (or the float64 reference) in this process;
- `results`: the results file format;
- `compare`: judges results of any number of backends against the reference and each other;
- `table`: the terminal view of a comparison;
- `environment`: the environment a backend's worker process starts in;
- `serve`: a backend worker answering case batches on stdin (the fuzzer's).
"""
