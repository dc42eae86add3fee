"""Mutation testing of the backends (`nox -s mutants -- NAME`): does the main job notice a bug?

The tool is cosmic-ray (pinned in requirements/mutants.txt, its own environment "mutants"),
not mutmut 3, because cosmic-ray writes each mutant into the source file on disk and runs the
killer as a plain command. mutmut 3 instead routes every mutated function through a Python
trampoline chosen at run time, which Numba cannot compile inside an @njit kernel, and it only
runs pytest; the NumPy backend's compiled path is exactly such kernels
(backends/numpy/kernels.py), and the main job's killer is `run` + `compare`, not pytest.
Numba keys its cache on the source file's time stamp, so each mutated kernel is compiled
afresh, into a cache folder inside the session's copy.

- `targets.toml`: per backend, the functions mutated (its fast and compiled paths, and the
  reference for NumPy), the operators applied, and the tests the killer runs after the cases;
- `scope`: marks every other mutant skipped in cosmic-ray's session database (run in the tool's
  environment, with cosmic-ray's own WorkDB);
- `equivalents`: tests/mutants/equivalent.toml, the mutants that cannot change a result, each
  with its reason; they are skipped and listed, and a stale entry is an error;
- `killer`: the command cosmic-ray runs for each mutant, in the backend's environment;
- `session`: the copy of the checkout (the tool edits files in place: never the checkout
  itself), the run, the score and the survivors.
"""
