"""The page model: what a report page says, as blocks, before any format.

A page is a list of these blocks; `render_html` and `render_markdown` each render the same
list, so index.html and index.md cannot drift apart. A `style` names what a block or cell
means ("fail", "known", "verdict ok"), never how it looks: each renderer decides that (a
CSS class in HTML, a mark in Markdown).
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


@dataclass
class Heading:
    text: str
    anchor: str
    level: int = 2


@dataclass
class Para:
    text: str
    style: str = ""


@dataclass
class Items:
    items: list  # of str
    style: str = ""


@dataclass
class Table:
    header: list
    rows: list  # lists of Cell (or str)
    style: str = ""


@dataclass
class Figure:
    file: pathlib.Path  # a PNG already written into the output folder
    caption: str


def as_cell(cell):
    return cell if isinstance(cell, Cell) else Cell(str(cell))
