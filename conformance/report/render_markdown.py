"""The page's blocks as index.md: the same content as index.html, the plots linked as the
PNG files beside it. Markdown has no colors: a mark before a cell's text stands in for the
styles that matter at a glance, and failing cells are bold. Markdown has no targets for
links into a table's rows either: a link shows as its text."""

from convsuite.conformance.report.blocks import Figure, Heading, Items, Para, Table, as_cell, plain

MARK = {"fail": "❌ ", "failing": "❌ ", "near": "⚠️ ", "known": "ℹ️ ", "skipped": "⏸ "}
BOLD = ("fail", "case failing")


def _text(text):
    """Text that cannot break a table row."""
    return str(text).replace("|", "\\|").replace("\n", " ")


def _cell(cell):
    cell = as_cell(cell)
    # A style may name several things ("case failing"): the last is the one to mark.
    text = MARK.get(cell.style.split()[-1] if cell.style else "", "") + cell.text
    if cell.style in BOLD:
        text = f"**{text}**"
    return _text(text + (f" ({cell.note})" if cell.note else ""))


def _table(block):
    lines = ["| " + " | ".join(map(_cell, block.header)) + " |",
             "|" + " --- |" * len(block.header)]
    lines += ["| " + " | ".join(map(_cell, row)) + " |" for row in block.rows]
    return "\n".join(lines)


def _block(block):
    if isinstance(block, Para) and block.style == "nav":
        return None  # the links to the page's sections: targets only HTML has
    if isinstance(block, Heading):
        return "#" * block.level + " " + block.text
    if isinstance(block, Para):
        text = plain(block.text)
        return f"**{text}**" if "verdict" in block.style else text
    if isinstance(block, Items):
        return "\n".join(f"- {plain(item)}" for item in block.items)
    if isinstance(block, Table):
        return _table(block)
    if isinstance(block, Figure):
        caption = f"❌ FAIL: {block.caption}" if block.style == "fail" else block.caption
        return f"![{caption}]({block.file.name})\n\n{caption}"
    raise TypeError(f"not a page block: {block!r}")


def render(blocks):
    return "\n\n".join(text for text in map(_block, blocks) if text is not None) + "\n"
