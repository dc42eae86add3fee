# The baseline of the README's notebook timing (README.md): python notebook_baseline.py NOTEBOOK MODULE
"""Import the framework and execute the notebook's cells as IPython runs them (errors allowed):
the baseline a notebook check is measured against."""
import sys, time, os
t0 = time.time()
path = os.path.abspath(sys.argv[1])
import importlib
importlib.import_module(sys.argv[2])
import nbformat
from IPython.core.interactiveshell import InteractiveShell
os.chdir(os.path.dirname(path)); sys.path.insert(0, os.path.dirname(path))
shell = InteractiveShell.instance()
for cell in nbformat.read(path, as_version=4).cells:
    if cell.cell_type == "code":
        try:
            exec(compile(shell.transform_cell(cell.source), "cell", "exec"), shell.user_ns)
        except BaseException as exc:
            pass
print(f"{time.time() - t0:.2f}", file=sys.stderr)
