"""The harness: cases through one backend, results files, and the comparison.

- `runner`: evaluates cases with one backend (or the float64 reference) in this process;
- `results`: the results file format (its entries typed: `Result`, `Document`);
- `compare`: judges results of any number of backends against the reference and each other,
  one case at a time (`judge`: one result against one target; `outcome`: what it finds);
- `status`: the one enum of statuses a judged case can have;
- `table`: the terminal view of a comparison;
- `coverage`: which features the built-in cases carry to which path;
- `environment`: the environment a backend's worker process starts in;
- `serve`: a backend worker answering case batches on stdin; `workers` its parent's side,
  `supervised` `run`'s cases through it.
"""
