"""The report page's chapter section (`report --tabs`): steps down, tabs across, the
disagreeing cells marked, in HTML and Markdown alike."""

from convsuite.conformance.report import chapter_page, render_html, render_markdown
from convsuite.conformance.report.blocks import Table


def _document():
    def cell(shown, disagrees=False, reason=None, random=False, error=None):
        return {"shown": shown, "error": error, "printed": "", "random": random, "disagrees": disagrees,
                "reason": reason}
    steps = [
        {"step": 1, "line": 9, "tabs": ["mxnet", "pytorch"], "missing": ["jax"], "status": "agree", "random": [],
         "no_value": [], "line_text": "shape (6, 8)", "cells": {"mxnet": cell("shape (6, 8)"),
                                                                 "pytorch": cell("shape (6, 8)")}},
        {"step": 2, "line": 20, "tabs": ["mxnet", "pytorch", "jax"], "missing": [], "status": "disagree",
         "random": ["pytorch"], "no_value": [], "line_text": "jax: shape (2, 1) vs (2, 2)",
         "cells": {"mxnet": cell("float32 (2, 2)"), "pytorch": cell("float32 (2, 2)", random=True),
                   "jax": cell("float32 (2, 1)", True, "shape (2, 1) vs (2, 2)")}},
    ]
    return {"chapter": "c.md", "verdict": "DISAGREE", "seconds": 1.0, "steps": steps,
            "counts": {"agree": 1, "disagree": 1, "error": 0, "one tab": 0},
            "tabs": [{"tab": t, "backend": t, "state": "ran", "why": "", "seconds": 1.0} for t in ("mxnet", "pytorch", "jax")]
            + [{"tab": "tvm", "backend": None, "state": "no backend", "why": "none", "seconds": None}]}


def test_steps_down_tabs_across_the_disagreeing_cell_marked():
    blocks = chapter_page.section(_document())
    table = next(b for b in blocks if isinstance(b, Table))
    assert table.header == ["step", "mxnet", "pytorch", "jax"]
    first, second = table.rows
    assert first[3].text == "not in this tab" and first[3].style == "na"
    assert [c.style for c in second[1:]] == ["", "", "fail"] and second[3].note == "shape (2, 1) vs (2, 2)"
    assert second[0].style == "failing" and second[2].note == "random: shape compared"
    markdown = render_markdown.render(blocks)
    assert "**❌ float32 (2, 1)** (shape (2, 1) vs (2, 2))" in markdown and "tvm: no backend (none)" in markdown
    html = render_html.render(blocks)
    assert '<td class="fail"' in html and html.count('class="fail"') == 1 + html.count('<ul class="fail">')
