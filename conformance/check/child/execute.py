"""Run a target's cells in the child, in order, as IPython runs them; every failure in words.

Each cell goes through IPython's own input transformation (`InteractiveShell.transform_cell`:
``%config``, ``%matplotlib``, ``%pprint``, ``!cmd`` become the calls IPython makes of them)
and is compiled under a file name of its own, so that a traceback names the cell and line.
A cell that raises (``SyntaxError``, ``ModuleNotFoundError``, ``SystemExit``, anything) is
recorded and the next cell runs, as a notebook's "run all, allowing errors" does; a Python
file is one cell, so an exception ends it where Python would.
"""

import importlib.util
import linecache
import os
import re
import sys
import tempfile
import traceback

# Import names whose package on PyPI is called otherwise (pip install NAME).
PACKAGE_OF = {"PIL": "pillow", "cv2": "opencv-python", "sklearn": "scikit-learn",
              "skimage": "scikit-image", "yaml": "pyyaml", "bs4": "beautifulsoup4"}


# IPython's transformation of a `%matplotlib ...` line.
MATPLOTLIB_MAGIC = re.compile(r"get_ipython\(\)\.run_line_magic\(['\"]matplotlib['\"].*")
NO_MATPLOTLIB = ("matplotlib is not installed here: the %matplotlib lines were skipped, and the rest of their "
                 "cells ran (add it with --install matplotlib to draw)")


def shell_for(channel, tab, path, *, cells, prefix):
    """Announce the target's cells to the parent, then an IPython shell that runs them as the
    target's own: from its folder, importable beside it, `__file__` and `__main__` set."""
    channel.send("cells", tab=tab, cells=[{"label": c.label, "filename": c.filename, "first_line": c.first_line}
                                          for c in cells])
    folder = os.path.dirname(path)
    os.chdir(folder)
    sys.path.insert(0, folder)
    sys.argv = [path]
    shell = make_shell(os.environ.get("IPYTHONDIR") or tempfile.mkdtemp(prefix=prefix))
    shell.user_ns.update(__file__=path, __name__="__main__")
    return shell


def make_shell(ipython_dir):
    """An IPython shell that keeps no history and writes nothing outside `ipython_dir`, with
    the kernel's magics: `%matplotlib inline` selects the inline backend and needs no event
    loop (the plain shell's `enable_gui` raises NotImplementedError; IPython's kernel
    implements it, and a headless child has no GUI loop to start)."""
    os.environ["IPYTHONDIR"] = str(ipython_dir)
    os.environ.setdefault("MPLBACKEND", "Agg")
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    class KernelLikeShell(InteractiveShell):
        def enable_gui(self, gui=None):
            pass

    config = Config()
    config.HistoryManager.enabled = False
    config.InteractiveShell.colors = "nocolor"
    shell = KernelLikeShell.instance(config=config)
    sys.modules["__main__"] = shell.user_module  # where classes defined in the cells live
    return shell


def as_python(shell, cell, notes):
    """The cell's code as Python: IPython's transformation of it; without matplotlib, its
    `%matplotlib` lines become `pass` (one note), so that the rest of the cell runs."""
    if not cell.ipython:
        return cell.source
    python = shell.transform_cell(cell.source)
    if MATPLOTLIB_MAGIC.search(python) and importlib.util.find_spec("matplotlib") is None:
        python = MATPLOTLIB_MAGIC.sub("pass", python)
        if NO_MATPLOTLIB not in notes:
            notes.append(NO_MATPLOTLIB)
    return python


def _register(cell):
    """Let tracebacks and inspect.getsource find the cell's lines under its file name."""
    lines = cell.source.splitlines(keepends=True)
    linecache.cache[cell.filename] = (len(cell.source), None, lines, cell.filename)


def _code_line(cells, filename, line):
    cell = cells.get(filename)
    if cell is None or not line:
        return None
    lines = cell.source.splitlines()
    return lines[line - 1].strip() if 0 < line <= len(lines) else None


def locate(exc, cells):
    """(where, code) of the innermost frame in the target's own cells, or (None, None)."""
    if isinstance(exc, SyntaxError) and exc.filename in cells:
        return cells[exc.filename].where(exc.lineno or 1), (exc.text or "").strip() or None
    found = (None, None)
    for frame in traceback.extract_tb(exc.__traceback__):
        if frame.filename in cells:
            found = (cells[frame.filename].where(frame.lineno), _code_line(cells, frame.filename, frame.lineno))
    return found


def one_line(message, limit=400):
    """An exception's message on one line: a native traceback inside it (MXNet's) gives its last
    line; other line breaks become spaces."""
    lines = [line.strip() for line in message.splitlines() if line.strip()]
    if any(line.startswith("Traceback (most recent call last)") for line in lines):
        lines = lines[-1:]
    text = " ".join(lines)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def describe(exc, cells):
    """An exception from the user's code as a dict: type, message, where, code and, for a
    missing import, the module, the package to --install and which file imported it."""
    where, code = locate(exc, cells)
    described = {"type": type(exc).__name__, "message": one_line(str(exc)), "where": where, "code": code}
    if isinstance(exc, SystemExit):
        described["message"] = f"sys.exit({exc.code!r})"
    if isinstance(exc, ModuleNotFoundError) and exc.name:
        top = exc.name.split(".")[0]
        frames = traceback.extract_tb(exc.__traceback__)
        importer = frames[-1].filename if frames else None
        described.update(missing=exc.name, install=PACKAGE_OF.get(top, top),
                         via=None if importer in cells else importer)
    return described


def run_cells(shell, cells, *, skip=(), started=None, notes=None):
    """Run every cell but those in `skip` (indices that crashed or hung before); a list of
    (index, described exception) for the cells that raised; `notes` gets what was adapted."""
    notes = [] if notes is None else notes
    by_name = {cell.filename: cell for cell in cells}
    errors = []
    for index, cell in enumerate(cells):
        if index in skip:
            continue
        if started:
            started(index)
        _register(cell)
        try:
            python = as_python(shell, cell, notes)
            code = compile(python, cell.filename, "exec", dont_inherit=True)
            exec(code, shell.user_ns)  # noqa: S102 - the child exists to run the user's code
        except BaseException as exc:  # SystemExit and KeyboardInterrupt are verdicts too
            errors.append((index, describe(exc, by_name)))
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
    return errors
