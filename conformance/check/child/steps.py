"""`tabs`'s job in the child: run one tab's cells of a chapter and send what each shows.

The parent (`conformance.tabs`) reads the chapter and sends this tab's cells, each with the
step it belongs to; here each cell runs as IPython runs it (`execute`), its last expression
is evaluated apart, as IPython's display does, and its value (`values.describe`), what it
printed and its exception, if any, go back in one "value" message per cell. Nothing is
compared here. The job's seed seeds Python's, NumPy's and the framework's generators, so that
the parent can tell a random value (it changes with the seed) from a deterministic one.
"""

import ast
import contextlib
import io
import os
import random
import sys

import numpy as np

from . import execute, values
from .sources import Cell

MAX_PRINTED = 4000  # of what one cell printed: its end, where a training loop's last loss is


class _Printed(io.StringIO):
    """What the cell prints, for the parent; a copy still goes to the child's stdout."""

    def write(self, text):
        sys.__stdout__.write(text)
        return super().write(text)


def _split_last(python, filename, source):
    """(the cell's statements, its last expression or None), as IPython's display splits them."""
    tree = ast.parse(python, filename)
    if tree.body and isinstance(tree.body[-1], ast.Expr) and not source.rstrip().endswith(";"):
        last = ast.Expression(tree.body.pop().value)
        return tree, last
    return tree, None


def _run(shell, cell, notes):
    """(value, error) of one cell; what it printed goes to the caller's redirection."""
    execute._register(cell)  # noqa: SLF001 - the same registration check's cells get
    python = execute.as_python(shell, cell, notes)
    body, last = _split_last(python, cell.filename, cell.source)
    exec(compile(body, cell.filename, "exec", dont_inherit=True), shell.user_ns)  # noqa: S102
    if last is None:
        return None
    return eval(compile(last, cell.filename, "eval", dont_inherit=True), shell.user_ns)  # noqa: S307


def _seed(seed, framework):
    random.seed(seed)
    np.random.seed(seed)
    if hasattr(framework, "seed"):
        framework.seed(seed)


def work(job, channel, framework):
    path = os.path.abspath(job["target"])
    name = os.path.basename(path)
    cells = [Cell(c["source"], name, f"{path}#line{c['line']}", first_line=c["line"]) for c in job["cells"]]
    shell = execute.shell_for(channel, job["tab"], path, cells=cells, prefix="tabs-ipython-")
    from d2lbook import tab as tab_module  # the cells' tab.selected(...) sees this tab

    tab_module._TAB = job["tab"]  # noqa: SLF001 - d2lbook's own switch
    shell.user_ns["tab"] = tab_module
    _seed(job["seed"], framework)
    by_name, notes, skip = {c.filename: c for c in cells}, [], set(job.get("skip_cells", ()))
    for index, cell in enumerate(cells):
        if index in skip:
            continue
        channel.send("cell", index=index)
        printed, error, value = _Printed(), None, None
        try:
            with contextlib.redirect_stdout(printed):
                value = values.describe(_run(shell, cell, notes), framework)
        except BaseException as exc:  # the cell's exception (SystemExit too) is its step's verdict
            error = execute.describe(exc, by_name)
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
        text = printed.getvalue()
        message = {"index": index, "value": value or {"type": "builtins.NoneType", "kind": "none"},
                   "printed": text[-MAX_PRINTED:]}
        channel.send("value", **message, **({"error": error} if error else {}))
    channel.send("done")
