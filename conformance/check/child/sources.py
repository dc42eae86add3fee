"""A target's code as the cells it runs, in order, read with the libraries made for each
format (in the child: a notebook's or chapter's text is the user's, so its parsing is
sandboxed too).

- `.py`: one cell, the whole file, run as a script (``__name__ == "__main__"``).
- `.ipynb`: its code cells (nbformat); their IPython magics run as IPython runs them
  (`conformance.check.child.execute`).
- `.md` in *Dive into Deep Learning*'s source format: d2lbook's own Markdown splitter
  (`d2lbook.markdown.split_markdown`) finds the ```{.python .input} cells, and d2lbook's tab
  marks (`d2lbook.common`'s patterns for a ``#@tab pytorch`` line and a ``%%tab pytorch``
  line) choose the framework's cells by the book's build rules (`get_tab_notebook`): a cell
  marked with the tab or ``all`` runs, an unmarked cell is the default tab's (mxnet), the
  mark lines and the ``%load_ext d2lbook.tab`` cell are dropped; ``tab.selected(...)``
  branches see the chosen tab through d2lbook's own `tab` module. d2lbook's
  `notebook.get_tab_notebook` itself cannot be imported without notedown, nbconvert and
  pkg_resources, so its rules are applied here to d2lbook's cells.
- any other `.md`: a jupytext Markdown notebook (```python cells).
"""

import configparser
import pathlib
from dataclasses import dataclass

BOOK_CONFIG = pathlib.Path(__file__).with_name("book.ini")  # d2l's tabs, when no book is around


class InputError(ValueError):
    """A target that cannot be read as what its name says (exit status 2)."""


@dataclass(frozen=True)
class Cell:
    source: str
    label: str  # how a person finds it: "cell 7 (In [21])", "line 40 of chapter.md"
    filename: str  # what its code objects and tracebacks name (unique per cell)
    first_line: int = 0  # the file's line of the cell's first line (0: lines count within the cell)
    ipython: bool = True  # notebook and chapter cells hold IPython syntax (magics); a .py file does not

    def where(self, line):
        """A line of this cell in words: "cell 7 (In [21]), line 3", "chapter.md line 42"."""
        if self.first_line:
            return f"line {self.first_line + line - 1} of {self.label}"
        return f"{self.label}, line {line}"


def kind_of(path):
    suffix = pathlib.Path(path).suffix.lower()
    return {".py": "python", ".ipynb": "notebook", ".md": "chapter"}.get(suffix)


def _python(path):
    try:
        text = pathlib.Path(path).read_text()
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read it: {exc}") from exc
    return [Cell(text, path.name, str(path), first_line=1, ipython=False)]


def _notebook(path):
    import nbformat

    try:
        notebook = nbformat.read(str(path), as_version=4)
    except Exception as exc:  # not JSON, not a notebook: nbformat's own words
        raise InputError(f"{path}: not a readable notebook: {type(exc).__name__}: {exc}") from exc
    cells = []
    for index, cell in enumerate(notebook.cells, 1):
        if cell.cell_type != "code":
            continue
        count = cell.get("execution_count")
        label = f"cell {index}" + (f" (In [{count}])" if count else "")
        cells.append(Cell(cell.source, label, f"{path}#cell{index}"))
    return cells


def _is_input_cell(cell):
    info = cell.get("class") or ""
    return cell["type"] == "code" and ".input" in info and "python" in info


def default_tab(path):
    """d2lbook's default tab: the first of [build] tabs in the book's config.ini (the nearest
    one above the chapter that sets them), else of the book's own list (book.ini)."""
    configs = [folder / "config.ini" for folder in pathlib.Path(path).resolve().parents]
    for config in [c for c in configs if c.is_file()] + [BOOK_CONFIG]:
        parser = configparser.ConfigParser()
        parser.read(config)
        tabs = parser.get("build", "tabs", fallback="").strip()
        if tabs:
            return tabs.split(",")[0].strip().lower()
    raise InputError(f"{BOOK_CONFIG}: no [build] tabs")


def _marks(source, patterns, default):
    match = patterns[0].search(source) or patterns[1].search(source)
    return [t.strip() for t in match[1].split(",")] if match else [default]


def _line_of(text, source, start):
    at = text.find(source, start)
    return (text.count("\n", 0, at) + 1, at + len(source)) if at >= 0 else (None, start)


def _chapter(path, tabs):
    from d2lbook import common, markdown

    text = pathlib.Path(path).read_text()
    cells = [c for c in markdown.split_markdown(text) if _is_input_cell(c)]
    if not cells:
        return _jupytext(path)
    patterns = (common.source_tab_pattern, common.source_tab_pattern_2)
    default = default_tab(path)
    present = {t for cell in cells for t in _marks(cell["source"], patterns, default)}
    tab = next((t for t in tabs if t in present | {"all"}), None)
    if tab is None:
        raise InputError(f"{path}: no cell for the {' or '.join(tabs)} tab (its tabs: {', '.join(sorted(present))}; "
                         "choose one with --tab)")
    chosen, offset = [], 0
    for cell in cells:
        source = cell["source"]
        line, offset = _line_of(text, source, offset)
        marked = _marks(source, patterns, default)
        if not (marked == ["all"] or tab in marked) or "%load_ext d2lbook.tab" in source:
            continue
        # The build drops the mark lines; here a %%tab line (a cell magic d2lbook registers)
        # becomes a comment and a #@tab line stays one, so that line numbers stay the file's.
        kept = [f"# {ln}" if patterns[1].search(ln) else ln for ln in source.split("\n")]
        chosen.append(Cell("\n".join(kept), path.name, f"{path}#line{line or len(chosen)}", first_line=line or 1))
    return chosen, tab


def _jupytext(path):
    import jupytext

    try:
        notebook = jupytext.read(str(path), fmt="md")
    except Exception as exc:
        raise InputError(f"{path}: not a readable Markdown notebook: {type(exc).__name__}: {exc}") from exc
    cells = [Cell(c.source, f"cell {i}", f"{path}#cell{i}")
             for i, c in enumerate(notebook.cells, 1) if c.cell_type == "code"]
    if not cells:
        raise InputError(f"{path}: no code cells (neither d2l's ```{{.python .input}} nor ```python)")
    return cells, None


def read(path, tabs):
    """(cells, tab): the cells the target runs; `tabs` are the chapter tab names to look for,
    in order (the chosen one is returned; None for other kinds)."""
    path = pathlib.Path(path)
    kind = kind_of(path)
    if kind == "python":
        return _python(path), None
    if kind == "notebook":
        return _notebook(path), None
    if kind == "chapter":
        return _chapter(path, tabs)
    raise InputError(f"{path}: not a target check reads (.py, .ipynb or .md)")
