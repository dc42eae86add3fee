"""The page's blocks as index.html: one self-contained file (inline CSS, the plots as data
URIs, no script), so it opens anywhere, attached to a mail or straight from a CI artifact."""

import base64
import html

from convsuite.conformance.report.blocks import Figure, Heading, Items, Para, Table, as_cell

TITLE = "convsuite conformance report"
# A cell's or block's style is its class: the colors of the matrix's bands and kinds live here.
CSS = """
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; }
th, td { border: 1px solid #ccc; padding: 2px 6px; text-align: left; vertical-align: top; }
th { background: #eee; }
table.matrix th { position: sticky; top: 0; z-index: 1; }
table.matrix td { font: 12px/1.2 ui-monospace, monospace; white-space: nowrap; }
td small { display: block; color: #555; font-size: 10px; }
td.failing { color: #b71c1c; font-weight: bold; border-left: 6px solid #d32f2f; }
td.exact { background: #e8f5e9; }
td.inside { background: #a5d6a7; }
td.near { background: #ffd54f; }
td.fail { background: #d32f2f; color: #fff; font-weight: bold; }
td.fail small { color: #fff; }
td.raises { background: #e3f2fd; color: #0d47a1; font-style: italic; }
td.known { background: #e1bee7; color: #4a148c; font-style: italic; }
td.na { background: #f5f5f5; color: #999; }
td.skipped {
  background: repeating-linear-gradient(45deg, #ddd, #ddd 4px, #f7f7f7 4px, #f7f7f7 8px);
}
td.unchecked { background: #fff; color: #888; }
p.verdict { font-size: 18px; font-weight: bold; padding: 0.4em 0.8em; display: inline-block; }
p.verdict.ok { background: #a5d6a7; }
p.verdict.fail { background: #d32f2f; color: #fff; }
ul.fail li { color: #b71c1c; }
ul.known li { color: #4a148c; }
ul.skipped li { color: #555; font-weight: bold; }
figure { margin: 0 0 1.5em; }
figure img { max-width: 100%; border: 1px solid #ddd; }
"""


def _class(style):
    return f' class="{style}"' if style else ""


def _cell(cell, tag="td"):
    cell = as_cell(cell)
    title = f' title="{html.escape(cell.title)}"' if cell.title else ""
    note = f"<small>{html.escape(cell.note)}</small>" if cell.note else ""
    return f"<{tag}{_class(cell.style)}{title}>{html.escape(cell.text)}{note}</{tag}>"


def _table(block):
    header = "".join(_cell(h, "th") for h in block.header)
    rows = "".join("<tr>" + "".join(map(_cell, row)) + "</tr>" for row in block.rows)
    return (f'<table class="{block.style}"><thead><tr>{header}</tr></thead>'
            f"<tbody>{rows}</tbody></table>")


def _figure(block):
    data = base64.b64encode(block.file.read_bytes()).decode("ascii")
    caption = html.escape(block.caption)
    return (f'<figure><img alt="{caption}" src="data:image/png;base64,{data}">'
            f"<figcaption>{caption}</figcaption></figure>")


def _block(block):
    if isinstance(block, Heading):
        tag = f"h{block.level}"
        return f'<{tag} id="{block.anchor}">{html.escape(block.text)}</{tag}>'
    if isinstance(block, Para):
        return f"<p{_class(block.style)}>{html.escape(block.text)}</p>"
    if isinstance(block, Items):
        items = "".join(f"<li>{html.escape(item)}</li>" for item in block.items)
        return f"<ul{_class(block.style)}>{items}</ul>"
    if isinstance(block, Table):
        return _table(block)
    if isinstance(block, Figure):
        return _figure(block)
    raise TypeError(f"not a page block: {block!r}")


def render(blocks):
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            f"<title>{TITLE}</title>"
            f"<style>{CSS}</style></head><body>\n" + "\n".join(map(_block, blocks))
            + "\n</body></html>\n")
