"""The terminal view of a comparison: the case x backend matrix, then every disagreement."""


def _row(cells, widths):
    return "  ".join(cell.ljust(width) for cell, width in zip(cells, widths)).rstrip()


def format_outcome(outcome, color=False):
    header = ["case"] + outcome.backends
    rows = [
        [case_id] + [outcome.cells[case_id, name][0] for name in outcome.backends]
        for case_id in outcome.case_ids
    ]
    widths = [max(len(row[i]) for row in [header] + rows) for i in range(len(header))]
    lines = [
        "max abs error against the float64 reference (the reference column: against the "
        "case's expect); an exception type where the case raises; - where a path does "
        "not apply (NAME is the fast path, NAME:builtin the framework's own conv layer)"
    ]
    lines += [_row(header, widths), _row(["-" * w for w in widths], widths)]
    lines += [_row(row, widths) for row in rows]
    if outcome.known:
        lines.append(f"{len(outcome.known)} documented framework difference(s) (spec/differences.py), not passes:")
        lines += [f"  {known}" for known in outcome.known]
    for name, reason in outcome.skipped.items():
        lines.append(f"SKIPPED backend {name}: {reason}")
    if outcome.failures:
        lines.append(f"{len(outcome.failures)} disagreement(s):")
        lines += [f"  {failure}" for failure in outcome.failures]
    ran = {name.split(":")[0] for name in outcome.backends[1:]} - set(outcome.skipped)
    verdict = "DISAGREE" if outcome.failures else "agree"
    lines.append(
        f"{len(ran)} backend(s) ran {len(outcome.case_ids)} cases and {verdict}"
        + (f"; {len(outcome.known)} documented difference(s)" if outcome.known else "")
        + (f"; {len(outcome.skipped)} skipped, not passed" if outcome.skipped else "")
    )
    return "\n".join(lines)
