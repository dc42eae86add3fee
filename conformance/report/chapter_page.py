"""A chapter's tabs on the report page: `tabs`' document (`conformance.tabs.summary`) as blocks.

Steps down, the tabs that ran across; each cell says what that tab showed at that step (a
dtype and shape with the values of a small array, a shape, the text, or the error it raised);
a cell that disagrees is marked as failing, with its reason as its note; a random value says
so; a step a tab lacks is "not in this tab". Above the table: the verdict, the tabs that did
not run and why; below it, each disagreement, linked to its row. It knows nothing of the
comparison page: `report --tabs TABS.json` puts it beside it, or alone.
"""

import zlib

from convsuite.conformance.report.blocks import Cell, Heading, Items, Link, Para, Table

FAILING = ("disagree", "error")


def _anchor(doc, step):
    return f"tabs-{zlib.crc32(doc['chapter'].encode()):08x}-step-{step['step']}"  # stable across runs


def _cell(step, tab):
    if tab not in step["cells"]:
        return Cell("not in this tab", "na")
    cell = step["cells"][tab]
    if cell["disagrees"]:
        return Cell(cell["shown"], "fail", note=cell["reason"] if cell["reason"] != cell["shown"] else "",
                    title=cell["printed"][-500:])
    note = "random: shape compared" if cell["random"] else ""
    style = "raises" if cell["error"] else "exact" if step["status"] == "agree" else ""
    return Cell(cell["shown"], style, note=note, title=cell["printed"][-500:])


def section(doc):
    """The blocks of one chapter's tabs, from `tabs`' JSON document."""
    ran = [t["tab"] for t in doc["tabs"] if t["state"] == "ran"]
    counts = doc["counts"]
    failed = doc["verdict"] != "AGREE"
    blocks = [Heading(f"Chapter tabs: {doc['chapter']}", "tabs", 2),
              Para(f"{doc['verdict']}: {len(doc['steps'])} steps over {', '.join(ran) or 'no tab'}: "
                   f"{counts['agree']} agree, {counts['disagree']} disagree, {counts['error']} raise in every tab, "
                   f"{counts['one tab']} in one tab only ({doc['seconds']:.1f} s)",
                   "verdict fail" if failed else "verdict ok")]
    others = [f"{t['tab']}: {t['state']}" + (f" ({t['why']})" if t["why"] else "") for t in doc["tabs"]
              if t["state"] != "ran"]
    if others:
        blocks.append(Items(others, "skipped"))
    rows = [[Cell(f"step {s['step']}", "failing" if s["status"] in FAILING else "", note=f"line {s['line']}",
                  anchor=_anchor(doc, s)), *(_cell(s, tab) for tab in ran)] for s in doc["steps"]]
    blocks.append(Table(["step", *ran], rows, "matrix", scroll=True))
    wrong = [s for s in doc["steps"] if s["status"] in FAILING]
    if wrong:
        blocks.append(Items([[Link(f"step {s['step']} (line {s['line']})", _anchor(doc, s)), f": {s['line_text']}"]
                             for s in wrong], "fail"))
    return blocks
