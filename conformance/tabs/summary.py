"""`tabs`' outcome: one document (JSON), one line per step, and a Markdown table.

The document: the chapter, each tab (its backend, whether it ran and why not), each step
(its line, the tabs that have it and those that do not, its status, and per tab what it
showed, printed or raised, whether it is random and why it disagrees), the counts, the
verdict (AGREE, DISAGREE, or ERROR where a tab could not run or a step raised in every tab)
and the wall time. `conformance.report.chapter_page` draws the same document.
"""

import json
import pathlib

from convsuite.conformance.tabs import judge

AGREE, DISAGREE, ERROR = "AGREE", "DISAGREE", "ERROR"
RAN, NO_BACKEND, NOT_CHOSEN, FAILED = "ran", "no backend", "not chosen", "could not run"


def document(chapter, tab_states, *, results, seconds):
    """`tab_states`: {tab: (state, backend or None, why)}; `results`: {tab: TabRun} of the run tabs."""
    ran = [t for t in chapter.tabs if t in results and not results[t].problem]
    steps = []
    for step in chapter.steps:
        having = [t for t in step.tabs if t in ran]
        if not having:
            continue
        seen = {t: [run[step.number] for run in results[t].runs] for t in having}
        missing = [t for t in ran if t not in having]
        steps.append(judge.step(step.number, step.line, having=having, missing=missing, seen=seen))
    counts = {status: sum(s["status"] == status for s in steps)
              for status in (judge.AGREE, judge.DISAGREE, judge.ERROR, judge.SINGLE)}
    failed = [t for t, (state, _, _) in tab_states.items() if state == FAILED]
    verdict = DISAGREE if counts[judge.DISAGREE] else ERROR if counts[judge.ERROR] or failed or not ran else AGREE
    tabs = [{"tab": t, "backend": backend, "state": state, "why": why,
             "seconds": round(results[t].seconds, 2) if t in results else None}
            for t, (state, backend, why) in tab_states.items()]
    return {"chapter": str(chapter.path), "verdict": verdict, "tabs": tabs, "steps": steps, "counts": counts,
            "seconds": round(seconds, 2)}


def step_line(step):
    status = step["status"].upper() if step["status"] in (judge.DISAGREE, judge.ERROR) else step["status"]
    return f"step {step['step']} (line {step['line']}): {status}: {step['line_text']}"


def verdict_line(doc):
    counts = doc["counts"]
    ran = [t["tab"] for t in doc["tabs"] if t["state"] == RAN]
    others = "; ".join(f"{t['tab']} {t['state']}" + (f" ({t['why']})" if t["why"] else "")
                       for t in doc["tabs"] if t["state"] != RAN)
    return (f"tabs: {doc['verdict']}: {doc['chapter']}: {len(doc['steps'])} steps over {', '.join(ran) or 'no tab'}: "
            f"{counts[judge.AGREE]} agree, {counts[judge.DISAGREE]} disagree, {counts[judge.ERROR]} raise in every "
            f"tab, {counts[judge.SINGLE]} in one tab only" + (f"; {others}" if others else "") +
            f" ({doc['seconds']:.1f} s)")


def _cell(step, tab):
    if tab not in step["cells"]:
        return "-"
    cell = step["cells"][tab]
    text = cell["shown"].replace("|", "\\|")
    if cell["random"]:
        text += " (random)"
    return f"**{text}** ✗" if cell["disagrees"] else text


def markdown(doc):
    """The verdict, the tabs and the step x tab table, in Markdown."""
    ran = [t["tab"] for t in doc["tabs"] if t["state"] == RAN]
    lines = [f"# tabs: {doc['chapter']}", "", f"**{doc['verdict']}**: {verdict_line(doc).split(': ', 3)[-1]}", "",
             "| tab | backend | state | seconds (its two runs, summed) |", "| --- | --- | --- | --- |"]
    lines += [f"| {t['tab']} | {t['backend'] or '-'} | {t['state']}{': ' + t['why'] if t['why'] else ''} | "
              f"{t['seconds'] if t['seconds'] is not None else '-'} |" for t in doc["tabs"]]
    lines += ["", "| step | line | status | " + " | ".join(ran) + " |", "| --- | --- | --- | " +
              " | ".join("---" for _ in ran) + " |"]
    for step in doc["steps"]:
        lines.append(f"| {step['step']} | {step['line']} | {step['status']} | " +
                     " | ".join(_cell(step, t) for t in ran) + " |")
    disagreements = [s for s in doc["steps"] if s["status"] in (judge.DISAGREE, judge.ERROR)]
    if disagreements:
        lines += ["", "## Disagreements", ""] + [f"- {step_line(s)}" for s in disagreements]
    return "\n".join(lines) + "\n"


def write(doc, out):
    """OUT.json and OUT.md beside it; the paths written."""
    out = pathlib.Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    json_path = out if out.suffix == ".json" else out.with_suffix(".json")
    json_path.write_text(json.dumps(doc, indent=1) + "\n", encoding="utf-8")
    md_path = json_path.with_suffix(".md")
    md_path.write_text(markdown(doc), encoding="utf-8")
    return json_path, md_path
