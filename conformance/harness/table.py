"""The terminal view of a comparison: the case x backend matrix, then every disagreement.

One short title line, the header, the rows, then a key to the cells. With `color` (a
terminal, or --color always) ANSI escapes mark each cell, the text staying the same: green
where it agrees, red FAIL, yellow known (a documented difference), dim where nothing was
compared ("-": the path does not apply; "skipped"). The last line is the verdict that
scripts read, never colored: "N backend(s) ran M cases and agree|DISAGREE[; ...]".
"""

import textwrap

RESET = "\033[0m"
STYLES = {
    "agree": "\033[32m",  # green
    "fail": "\033[31m",  # red
    "known": "\033[33m",  # yellow
    "none": "\033[2m",  # dim
    "header": "\033[1m",  # bold
}
TITLE = "max abs error against the float64 reference, per case and path (key below)"
KEY = (
    "key: NAME is the fast path, NAME:builtin the framework's own conv layer; the reference "
    "column: against the case's expect; an exception type where the case raises; - where a "
    "path does not apply; known: a documented difference, not a pass; FAIL: a disagreement "
    "(both listed below)"
)
COLOR_KEY = [("green", "agree", "agrees"), ("red", "fail", "FAIL"), ("yellow", "known", "known"),
             ("dim", "none", "- and skipped")]


def _paint(text, style, color):
    return f"{STYLES[style]}{text}{RESET}" if color and style else text


def _style(cell):
    """The style of a matrix cell (`conformance.harness.outcome.Cell`)."""
    if cell.ok is True:
        return "agree"
    if cell.ok is False:
        return "fail"
    return "known" if cell.kind == "known" else "none"  # "-", "skipped", unchecked


def _row(cells, widths, styles, color):
    """Cells padded to their column's width, the padding outside any escape codes."""
    last = len(cells) - 1
    return "  ".join(
        _paint(cell, style, color) + ("" if i == last else " " * (width - len(cell)))
        for i, (cell, width, style) in enumerate(zip(cells, widths, styles))
    ).rstrip()


def format_outcome(outcome, color=False):
    header = ["case"] + outcome.backends
    rows = [[outcome.cells[case_id, name] for name in outcome.backends] for case_id in outcome.case_ids]
    texts = [header] + [[case_id] + [cell.text for cell in row] for case_id, row in zip(outcome.case_ids, rows)]
    widths = [max(len(row[i]) for row in texts) for i in range(len(header))]
    lines = [
        TITLE,
        _row(header, widths, ["header"] * len(header), color),
        _row(["-" * w for w in widths], widths, [None] * len(widths), color),
    ]
    lines += [_row(text, widths, [None] + [_style(cell) for cell in row], color)
              for text, row in zip(texts[1:], rows)]
    wrap = max(72, min(sum(widths) + 2 * (len(widths) - 1), 100))
    lines += textwrap.wrap(KEY, wrap, subsequent_indent="     ")
    if color:
        lines.append("     colors: " + ", ".join(
            f"{name} {_paint(meaning, style, color)}" for name, style, meaning in COLOR_KEY))
    if outcome.known:
        lines.append(_paint(
            f"{len(outcome.known)} documented framework difference(s) (spec/differences.py), not passes:",
            "known", color))
        lines += [f"  {known}" for known in outcome.known]
    for name, reason in outcome.skipped.items():
        lines.append(f"SKIPPED backend {name}: {reason}")
    if outcome.failures:
        lines.append(_paint(f"{len(outcome.failures)} disagreement(s):", "fail", color))
        lines += [f"  {failure}" for failure in outcome.failures]
    ran = {name.split(":")[0] for name in outcome.backends[1:]} - set(outcome.skipped)
    verdict = "DISAGREE" if outcome.failures else "agree"
    lines.append(
        f"{len(ran)} backend(s) ran {len(outcome.case_ids)} cases and {verdict}"
        + (f"; {len(outcome.known)} documented difference(s)" if outcome.known else "")
        + (f"; {len(outcome.skipped)} skipped, not passed" if outcome.skipped else "")
    )
    return "\n".join(lines)
