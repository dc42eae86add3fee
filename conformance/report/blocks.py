"""The page model: what a report page says, as blocks, before any format.

A page is a list of these blocks; `render_html` and `render_markdown` each render the same
list, so index.html and index.md cannot drift apart. A `style` names what a block or cell
means ("fail", "known", "verdict ok"), never how it looks: each renderer decides that (a
CSS class in HTML, a mark in Markdown).

A paragraph's or an item's text is a string or a list of strings and `Link`s (`parts`).
An `anchor` names a block or cell that a `Link` can point at: an id in HTML; Markdown has
no such targets, so it shows a link's text alone.
"""

import pathlib
from dataclasses import dataclass


@dataclass
class Cell:
    """One table cell; a plain string in a row stands for a Cell without style."""

    text: str
    style: str = ""
    note: str = ""  # a second, smaller line (HTML) or a parenthesis (Markdown)
    title: str = ""  # a tooltip, HTML only
    anchor: str = ""  # a target for links (an id in HTML)
    link: str = ""  # the anchor this cell's text links to, HTML only


@dataclass
class Link:
    """Text that leads to the block or cell with `anchor` (HTML; Markdown shows the text)."""

    text: str
    anchor: str


@dataclass
class Heading:
    text: str
    anchor: str
    level: int = 2


@dataclass
class Para:
    text: object  # str, or a list of str and Link
    style: str = ""
    anchor: str = ""


@dataclass
class Items:
    items: list  # of str, or of lists of str and Link
    style: str = ""


@dataclass
class Table:
    header: list
    rows: list  # lists of Cell (or str)
    style: str = ""
    scroll: bool = False  # HTML: in a box of its own that scrolls, header and first column fixed


@dataclass
class Figure:
    file: pathlib.Path  # a PNG already written into the output folder
    caption: str
    style: str = ""  # "fail": a plot of a case with a disagreement, marked FAIL
    anchor: str = ""


def as_cell(cell):
    return cell if isinstance(cell, Cell) else Cell(str(cell))


def parts(text):
    """A text as a list of str and Link."""
    return [text] if isinstance(text, (str, Link)) else list(text)


def plain(text):
    """A text without its links: what it says."""
    return "".join(part.text if isinstance(part, Link) else part for part in parts(text))
