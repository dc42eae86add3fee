"""The page's blocks as index.html: one self-contained file (inline CSS, the plots as data
URIs, no script), so it opens anywhere, attached to a mail or straight from a CI artifact."""

import base64
import html

from convsuite.conformance.report.blocks import Figure, Heading, Items, Link, Para, Table, as_cell, parts

TITLE = "convsuite conformance report"
# A cell's or block's style is its class: the colors of the matrix's bands and kinds live here.
CSS = """
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em; color: #222; }
table { border-collapse: collapse; margin: 0.5em 0 1.5em; }
th, td { border: 1px solid #ccc; padding: 2px 6px; text-align: left; vertical-align: top; }
th { background: #eee; }
a { color: inherit; }
/* Tight headings: the verdict, the summary and the first disagreement share the first screen. */
h1 { font-size: 24px; margin: 0 0 0.4em; }
h2 { font-size: 19px; margin: 0.8em 0 0.4em; }
p.nav { margin: 0.3em 0 0.8em; }
p.nav a { margin-right: 0.2em; }
table.summary { font-size: 13px; line-height: 1.25; }
table.summary td { padding: 1px 8px; }
table.summary td:nth-child(n+3) { text-align: right; font-variant-numeric: tabular-nums; }
table.summary td small { display: inline; margin-left: 0.4em; }
div.scroll { overflow: auto; max-height: 85vh; max-width: 100%; width: max-content;
  border: 1px solid #999; margin: 0.5em 0 1.5em; }
table.matrix { margin: 0; border-collapse: separate; border-spacing: 0; }
table.matrix th, table.matrix td { border-width: 0 1px 1px 0; }
table.matrix th { position: sticky; top: 0; z-index: 2; white-space: nowrap; }
table.matrix td { font: 12px/1.2 ui-monospace, monospace; white-space: nowrap;
  scroll-margin: 3em 1em 1em 26em; }
table.matrix td:first-child { position: sticky; left: 0; z-index: 1; background: #fff;
  box-shadow: 2px 0 0 #999; scroll-margin-left: 0; }
table.matrix th:first-child { left: 0; z-index: 3; box-shadow: 2px 0 0 #999; }
table.matrix td:target { outline: 3px solid #000; outline-offset: -3px; }
td small { display: block; color: #555; font-size: 10px; }
td.failing { color: #b71c1c; font-weight: bold; border-left: 6px solid #d32f2f; }
table.matrix td.failing { background: #ffebee; }
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
p.verdict { font-size: 18px; font-weight: bold; padding: 0.4em 0.8em; display: inline-block;
  margin: 0.2em 0; max-width: 100%; box-sizing: border-box; }
p.verdict.ok { background: #a5d6a7; }
p.verdict.fail { background: #d32f2f; color: #fff; }
ul.fail li { color: #b71c1c; }
ul.known li { color: #4a148c; }
ul.skipped li { color: #555; font-weight: bold; }
ul li a { text-decoration-color: rgba(0, 0, 0, 0.3); }
figure { margin: 0 0 1.5em; scroll-margin-top: 1em; }
figure img { max-width: 100%; border: 1px solid #ddd; margin-top: 0.3em; }
figure.fail { border: 4px solid #d32f2f; padding: 6px; margin-left: 0; margin-right: 0; }
figure.fail figcaption { color: #b71c1c; font-weight: bold; }
span.badge { background: #d32f2f; color: #fff; font-weight: bold; padding: 1px 8px;
  margin-right: 0.5em; border-radius: 3px; }
"""


def _class(style):
    return f' class="{style}"' if style else ""


def _id(anchor):
    return f' id="{html.escape(anchor)}"' if anchor else ""


def _text(text):
    """A text (a str, or a list of str and Link) as HTML."""
    return "".join(f'<a href="#{html.escape(part.anchor)}">{html.escape(part.text)}</a>'
                   if isinstance(part, Link) else html.escape(part) for part in parts(text))


def _cell(cell, tag="td"):
    cell = as_cell(cell)
    title = f' title="{html.escape(cell.title)}"' if cell.title else ""
    note = f"<small>{html.escape(cell.note)}</small>" if cell.note else ""
    text = _text(Link(cell.text, cell.link) if cell.link else cell.text)
    return f"<{tag}{_class(cell.style)}{title}{_id(cell.anchor)}>{text}{note}</{tag}>"


def _table(block):
    header = "".join(_cell(h, "th") for h in block.header)
    rows = "".join("<tr>" + "".join(map(_cell, row)) + "</tr>" for row in block.rows)
    table = (f'<table class="{block.style}"><thead><tr>{header}</tr></thead>'
             f"<tbody>{rows}</tbody></table>")
    return f'<div class="scroll">{table}</div>' if block.scroll else table


def _figure(block):
    data = base64.b64encode(block.file.read_bytes()).decode("ascii")
    caption = html.escape(block.caption)
    badge = '<span class="badge">FAIL</span>' if block.style == "fail" else ""
    # The caption above the plot: a FAIL badge is the first thing seen of a failing one.
    return (f'<figure{_class(block.style)}{_id(block.anchor)}><figcaption>{badge}{caption}'
            f'</figcaption><img alt="{caption}" src="data:image/png;base64,{data}"></figure>')


def _block(block):
    if isinstance(block, Heading):
        tag = f"h{block.level}"
        return f'<{tag} id="{block.anchor}">{html.escape(block.text)}</{tag}>'
    if isinstance(block, Para):
        return f"<p{_class(block.style)}{_id(block.anchor)}>{_text(block.text)}</p>"
    if isinstance(block, Items):
        items = "".join(f"<li>{_text(item)}</li>" for item in block.items)
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
