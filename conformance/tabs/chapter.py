"""A d2l chapter as `tabs` compares it: its tabs, and its steps as the book's build groups them.

d2lbook's build (`notebook._merge_tabs`) shows consecutive code blocks marked for different
tabs as one group of tabs, and a block every tab runs (`#@tab all`, or marked with every tab)
as a cell of its own; text between blocks ends a group. Each of those is one step here: a
tab's value at a step is what its last block of the group shows. The tab marks are read with
d2lbook's own splitter and patterns (`check`'s `sources` applies the same rules to run one
tab); this reads text only, and never runs it: each tab's cells run in its sandboxed child.
"""

import configparser
import pathlib
from dataclasses import dataclass, field

from convsuite.conformance.check.child import sources
from convsuite.conformance.check.child.sources import InputError

LOAD_TAB = "%load_ext d2lbook.tab"  # the book's first cell: makes `tab` in a notebook, dropped by the build


@dataclass
class Step:
    number: int  # 1, 2, ... in the chapter's order
    line: int  # the chapter's line of the step's first block
    cells: dict = field(default_factory=dict)  # tab -> [(line, source)], in order

    @property
    def tabs(self):
        return list(self.cells)


@dataclass
class Chapter:
    path: pathlib.Path
    tabs: list  # every tab a block is marked with, in the book's order
    steps: list

    def cells_of(self, tab):
        """The job's cells for one tab: [{"step", "line", "source"}], in the chapter's order."""
        return [{"step": step.number, "line": line, "source": source}
                for step in self.steps for line, source in step.cells.get(tab, [])]


def _book_order(path):
    """The book's tabs in order (the nearest config.ini's, else the book's own list)."""
    configs = [folder / "config.ini" for folder in pathlib.Path(path).resolve().parents]
    for config in [c for c in configs if c.is_file()] + [sources.BOOK_CONFIG]:
        parser = configparser.ConfigParser()
        parser.read(config)
        tabs = [t.strip().lower() for t in parser.get("build", "tabs", fallback="").split(",") if t.strip()]
        if tabs:
            return tabs
    return []


def _kept(source, patterns):
    # As check runs a chapter: a %%tab line (a cell magic) becomes a comment, a #@tab line is one.
    return "\n".join(f"# {ln}" if patterns[1].search(ln) else ln for ln in source.split("\n"))


def read(path):
    """The chapter's tabs and steps; InputError (exit 2) for a file that is not one."""
    from d2lbook import common, markdown

    path = pathlib.Path(path)
    if sources.kind_of(path) != "chapter":
        raise InputError(f"{path}: not a d2l chapter (.md)")
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"{path}: cannot read it: {exc}") from exc
    patterns = (common.source_tab_pattern, common.source_tab_pattern_2)
    default = sources.default_tab(path)
    blocks, offset = [], 0  # (line, marks, source) for an input block; None for text between blocks
    for cell in markdown.split_markdown(text):
        if not sources._is_input_cell(cell):  # noqa: SLF001 - check's own rule for a code cell
            if cell["source"].strip():
                blocks.append(None)
            continue
        line, offset = sources._line_of(text, cell["source"], offset)  # noqa: SLF001
        if LOAD_TAB not in cell["source"]:
            blocks.append((line or 1, sources._marks(cell["source"], patterns, default), cell["source"]))  # noqa: SLF001
    present = {t for b in blocks if b for t in b[1]} - {"all"}
    if not any(blocks):
        raise InputError(f"{path}: no ```{{.python .input}} code block: not a d2l chapter")
    order = _book_order(path)
    tabs = [t for t in order if t in present] + sorted(present - set(order))
    steps, group = [], None
    for block in blocks:
        if block is None:
            group = None
            continue
        line, marks, source = block
        every = marks == ["all"] or set(marks) >= set(tabs)
        if every or group is None:
            group = Step(len(steps) + 1, line)
            steps.append(group)
        for tab in tabs if every else marks:
            group.cells.setdefault(tab, []).append((line, _kept(source, patterns)))
        if every:
            group = None
    for step in steps:  # each step's tabs in the chapter's order
        step.cells = {tab: step.cells[tab] for tab in tabs if tab in step.cells}
    return Chapter(path, tabs, steps)
