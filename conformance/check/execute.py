"""Run a target's cells in the child, in order, as IPython runs them; every failure in words.

Each cell goes through IPython's own input transformation (`InteractiveShell.transform_cell`:
``%config``, ``%matplotlib``, ``%pprint``, ``!cmd`` become the calls IPython makes of them)
and is compiled under a file name of its own, so that a traceback names the cell and line.
A cell that raises (``SyntaxError``, ``ModuleNotFoundError``, ``SystemExit``, anything) is
recorded and the next cell runs, as a notebook's "run all, allowing errors" does; a Python
file is one cell, so an exception ends it where Python would.
"""

import linecache
import os
import sys
import traceback

# Import names whose package on PyPI is called otherwise (pip install NAME).
PACKAGE_OF = {"PIL": "pillow", "cv2": "opencv-python", "sklearn": "scikit-learn",
              "skimage": "scikit-image", "yaml": "pyyaml", "bs4": "beautifulsoup4"}


def make_shell(ipython_dir):
    """An IPython shell that keeps no history and writes nothing outside `ipython_dir`."""
    os.environ["IPYTHONDIR"] = str(ipython_dir)
    os.environ.setdefault("MPLBACKEND", "Agg")
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    if InteractiveShell.initialized():  # made by the fork server before it forked this child
        shell = InteractiveShell.instance()
        sys.modules["__main__"] = shell.user_module
        return shell
    config = Config()
    config.HistoryManager.enabled = False
    config.InteractiveShell.colors = "nocolor"
    shell = InteractiveShell.instance(config=config)
    sys.modules["__main__"] = shell.user_module  # where classes defined in the cells live
    return shell


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


def run_cells(shell, cells, skip=(), started=None):
    """Run every cell but those in `skip` (indices that crashed or hung before); a list of
    (index, described exception) for the cells that raised."""
    by_name = {cell.filename: cell for cell in cells}
    errors = []
    for index, cell in enumerate(cells):
        if index in skip:
            continue
        if started:
            started(index)
        _register(cell)
        try:
            python = shell.transform_cell(cell.source) if cell.ipython else cell.source
            code = compile(python, cell.filename, "exec", dont_inherit=True)
            exec(code, shell.user_ns)  # noqa: S102 - the child exists to run the user's code
        except BaseException as exc:  # SystemExit and KeyboardInterrupt are verdicts too
            errors.append((index, describe(exc, by_name)))
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
    return errors
