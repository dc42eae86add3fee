"""What `check` says: a record per target (plain data, the summary's JSON), its verdict line,
its detail in words, and the summary table in Markdown, one row per target; summaries of
several shards merge into one.

A target PASSes when every applicable case of every function and class it defines passes,
all its cells ran, it defines every --require'd name and uses none that --forbid names;
anything else FAILs (a failing case, an exception in a cell, a crash, a hang, a corrupted
channel, a missing name, nothing checked, a forbidden use); a target that cannot be read is
an ERROR (a usage error). Cases that do not apply are counted and listed, never passed; a
function that no case applies to is "not checked" (and said so); learning scripts are "run,
not checked".
"""

import collections
import json
import pathlib
from collections.abc import Sequence
from typing import Any

from convsuite.conformance.check.judging.judge import judge_run
from convsuite.conformance.check.judging.verdict import CaseRecord, SubjectRecord, Verdict, VerdictRecord
from convsuite.conformance.check.sandbox.messages import EnvironmentErrorMessage, Subject
from convsuite.conformance.check.sandbox.supervise import NotApplicable, Run

PASS, FAIL, ERROR = "PASS", "FAIL", "ERROR"  # a target's verdict (its functions' are `Status`es)
# A target's record: plain data (summary.json), which `merge` reads back from shards.
TargetRecord = dict[str, Any]
SCRIPT_LOOP = ("run, not checked: a script that trains from the layer's own random initial kernel cannot be "
               "compared with a case (the case fixes K_init); write it as a function learn(X, Y, K_init, lr, "
               "steps) returning (losses, K) to have it checked")


def _cell_problems(run: Run) -> list[str]:
    problems = []
    for index, error in sorted(run.cell_errors.items()):
        cell = run.cells[index]["label"] if index < len(run.cells) else f"cell {index}"
        where = error.get("where") or cell
        at = where if where.endswith(cell) or where.startswith(cell) else f"{cell} (at {where})"
        message = f": {error['message']}" if error["message"] else ""
        line = f"{at} raised {error['type']}{message}" + (f" ({error['code']})" if error.get("code") else "")
        if error.get("missing"):
            via = f" (imported by {error['via']})" if error.get("via") else ""
            line = (f"{at}: missing import {error['missing']!r}{via}: the environment lacks it; "
                    f"add it with --install {error['install']}")
        problems.append(line)
    for index, event in sorted(run.cell_events.items()):
        where = event.get("where") or run.cells[index]["label"]
        problems.append(f"{where}: {event['kind']}: {event['detail']} (the run went on without this cell)")
    return problems


def _subject(subject: Subject, verdicts: Sequence[Verdict], not_applicable: Sequence[NotApplicable]) -> SubjectRecord:
    mine = [v for v in verdicts if v.subject == subject["name"]]
    failed = [v.as_record() for v in mine if not v.passed]  # known: a documented framework difference passes
    notes = collections.Counter(note for v in mine for note in v.notes)
    skipped = [n for n in not_applicable if n["subject"] == subject["name"]]
    groups = collections.Counter(n["group"] for n in skipped)
    cases: list[CaseRecord] = [{"case": v.case, "status": v.status.value, "kind": v.kind} for v in mine]
    return {"name": subject["name"], "role": subject["role"], "found": subject["found"],
            "applicable": len(mine), "passed": len(mine) - len(failed),
            "statuses": dict(collections.Counter(v.status.value for v in mine)),
            "first_failure": failed[0] if failed else None, "failures": failed, "cases": cases,
            "notes": [f"{note} ({count} case{'s' * (count > 1)})" for note, count in notes.items()],
            "not_applicable": len(skipped), "not_applicable_groups": dict(groups),
            "not_applicable_cases": skipped}


def _environment_error(backend: str, error: EnvironmentErrorMessage) -> str:
    return (f"{error['module']} is not importable in this environment ({error['message']}): run check in the "
            f"{backend} environment: nox -s check -- TARGET... --backend {backend}")


def _plays(subject: SubjectRecord, name: str) -> bool:
    return name in (subject["name"], subject["role"]) or (name == "Conv2D" and subject["role"] == "layer")


def record(target: str, backend: str, run: Run, *, sandboxed: bool, required: Sequence[str] = ()) -> TargetRecord:
    """The target's record: everything the summary and the verdict line say."""
    base: TargetRecord = {
        "target": target, "backend": backend, "seconds": round(run.seconds, 3), "attempts": run.attempts,
        "sandboxed": sandboxed, "peak_mib": run.peak_bytes >> 20, "printed_bytes": run.output.total,
        "output_tail": run.output.text()[-2000:], "stray_message_lines": run.stray_lines}
    if run.input_error:
        return {**base, "status": ERROR, "error": run.input_error}
    if run.environment_error:
        return {**base, "status": ERROR, "error": _environment_error(backend, run.environment_error)}
    loaded = run.loaded or {"subjects": [], "notes": [], "missing": [], "loops": [], "versions": {}}
    verdicts = judge_run(run, backend)
    subjects = [_subject(s, verdicts, run.not_applicable) for s in loaded["subjects"]]
    problems = _cell_problems(run)
    if run.target_event:
        during = run.target_event.get("during")
        where = run.target_event.get("where") or (run.cells[during]["label"] if isinstance(during, int)
                                                  and run.loaded is None and during < len(run.cells) else None)
        problems.append(f"{run.target_event['kind']}: {run.target_event['detail']}" + (f" at {where}" if where else ""))
    if run.loaded is None and not run.target_event:
        problems.append("the target's code never finished loading")
    if loaded["missing"]:
        problems.append(f"no {', '.join(loaded['missing'])} in the target (--function or TARGET:NAME)")
    absent = [name for name in required if not any(_plays(s, name) for s in subjects)]
    if absent:
        problems.append(f"no {', '.join(absent)} in the target (--require)")
    checked = [s for s in subjects if s["applicable"]]
    failing = problems or any(s["passed"] < s["applicable"] for s in subjects) or not checked
    return {**base, "status": FAIL if failing else PASS, "error": None, "tab": run.tab, "cells": len(run.cells),
            "versions": loaded.get("versions", {}), "subjects": subjects, "problems": problems,
            "notes": loaded["notes"], "loops": loaded["loops"], "not_checked": [s["name"] for s in subjects
                                                                              if not s["applicable"]],
            "nothing_to_check": not subjects and not loaded["missing"],
            "nothing_checked": bool(subjects) and not checked}


def add_forbidden(rec: TargetRecord, lint: Any) -> TargetRecord:
    """The record with `check --forbid`'s findings (`conformance.check.forbid.Lint`): each use
    of a forbidden name is a problem, and the target FAILs; its "forbidden" lists them (name,
    used, written, where, code, problem); cells the lint could not read are notes. An ERROR (a target
    that cannot be read) stays one."""
    if rec["status"] == ERROR:
        return rec
    rec["forbidden"] = [{**use.as_dict(), "problem": use.problem()} for use in lint.uses]
    rec["problems"] = rec["problems"] + [use.problem() for use in lint.uses]
    rec["notes"] = rec["notes"] + lint.notes
    if lint.uses:
        rec["status"] = FAIL
    return rec


def _count(subject: SubjectRecord) -> str:
    if not subject["applicable"]:
        return f"{subject['name']}: not checked: no case applies to it (it is not a pass)" + (
            f"; {subject['not_applicable']} not applicable" if subject["not_applicable"] else "")
    text = f"{subject['name']}: {subject['passed']} of {subject['applicable']} applicable cases pass"
    if subject["name"] != subject["role"] and subject["role"] != "layer":
        text += f" (checked as {subject['role']}, found by {subject['found']})"
    return text + (f"; {subject['not_applicable']} not applicable" if subject["not_applicable"] else "")


def verdict_line(rec: TargetRecord) -> str:
    head = f"{rec['target']} [{rec['backend']}]: {rec['status']}"
    if rec["status"] == ERROR:
        return f"{head}: {rec['error']}"
    parts = [f"{s['name']} {s['passed']}/{s['applicable']}" if s["applicable"] else f"{s['name']} not checked"
             for s in rec["subjects"]]
    forbidden = rec.get("forbidden", [])
    parts += [f"uses {', '.join(dict.fromkeys(u['used'] for u in forbidden))} (--forbid)"] if forbidden else []
    running = len(rec["problems"]) - len(forbidden)
    parts += [f"{running} problem(s) running it"] if running else []
    parts += ["nothing to check"] if rec["nothing_to_check"] else []
    parts += ["nothing checked"] if rec.get("nothing_checked") else []
    return f"{head} ({'; '.join(parts)})" if parts else head


def _failure(v: VerdictRecord) -> str:
    text = f"first failure: {v['case']} ({v['inputs']}): {v['detail']}"
    return text + (f"\n      hint: {v['hint']}" if v.get("hint") else "")


def render(rec: TargetRecord) -> str:
    """The target's verdicts in words, a line per finding (what a learner reads)."""
    lines = [verdict_line(rec)]
    if rec["status"] == ERROR:
        return "\n".join(lines)
    for subject in rec["subjects"]:
        lines.append("  " + _count(subject))
        if subject["first_failure"]:
            lines.append("    " + _failure(subject["first_failure"]))
            kinds: dict[str, list[VerdictRecord]] = {}
            for v in subject["failures"]:
                kinds.setdefault(v.get("kind", v["status"]), []).append(v)
            for what, group in list(kinds.items())[:6]:
                first = group[0]
                if first is subject["first_failure"]:
                    if len(group) > 1:
                        lines.append(f"    {len(group)} case(s) in all {what}")
                    continue
                lines.append(f"    {len(group)} more case(s) {what}; the first: {first['case']} ({first['inputs']}): "
                             f"{first['detail']}" + (f"; hint: {first['hint']}" if first.get("hint") else ""))
        lines += [f"    note: {note}" for note in subject["notes"]]
        lines += [f"    not applicable: {n} {group}" for group, n in subject["not_applicable_groups"].items()]
    for loop in rec["loops"]:
        lines.append(f"  learning loop at {loop['where']} ({loop['code']}): {SCRIPT_LOOP}")
    lines += [f"  {problem}" for problem in rec["problems"]]
    lines += [f"  note: {note}" for note in rec["notes"]]
    if rec["nothing_to_check"]:
        lines.append("  nothing to check: no function or class with a lesson name (corr2d, corr2d_multi_in, "
                     "corr2d_multi_in_out, corr2d_multi_in_out_1x1, conv2d, Conv2D) or a learning loop's "
                     "parameters; name one with --function ROLE=NAME")
    if rec["printed_bytes"] > 64 * 1024:
        lines.append(f"  note: the target printed {rec['printed_bytes']:,} bytes (its last 2 kB are in the summary)")
    return "\n".join(lines)


def markdown(records: Sequence[TargetRecord], title: str = "convsuite check") -> str:
    counts = collections.Counter(r["status"] for r in records)
    lines = [f"## {title}", "", ", ".join(f"{n} {s}" for s, n in sorted(counts.items())) or "no targets", "",
             "| target | framework | verdict | checked | first failure |", "| --- | --- | --- | --- | --- |"]
    for r in records:
        checked = "; ".join(f"{s['name']} {s['passed']}/{s['applicable']}" for s in r.get("subjects", []))
        first = next((s["first_failure"] for s in r.get("subjects", []) if s["first_failure"]), None)
        failure = r.get("error") or (f"{first['subject']}, {first['case']}: {first['detail']}" if first else "")
        uses = [u["problem"] for u in r.get("forbidden", [])]  # --forbid's findings come first
        failure = failure or "; ".join(p for p in r.get("problems", []) if p not in uses)
        failure = "; ".join(uses + ([failure] if failure else []))
        cell = failure.replace("|", "\\|").replace("\n", " ")[:300]
        lines.append(f"| `{r['target']}` | {r['backend']} | {r['status']} | {checked} | {cell} |")
    return "\n".join(lines) + "\n"


def document(records: Sequence[TargetRecord], shard: tuple[int, int] | None = None,
             grading: dict[str, Any] | None = None) -> dict[str, Any]:
    """What summary.json holds (and `check --json` prints)."""
    return {"shard": shard, "targets": records, **({"grading": grading} if grading is not None else {})}


def write(folder: str | pathlib.Path, records: Sequence[TargetRecord], shard: tuple[int, int] | None = None,
          grading: dict[str, Any] | None = None) -> pathlib.Path:
    """summary.json and summary.md (a shard's: summary-K-of-N.*); `grading`: a grading run's
    settings (`judging.grades.config`), kept for --merge."""
    folder = pathlib.Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    suffix = f"-{shard[0]}-of-{shard[1]}" if shard else ""
    (folder / f"summary{suffix}.json").write_text(json.dumps(document(records, shard, grading), indent=1) + "\n")
    (folder / f"summary{suffix}.md").write_text(markdown(records))
    return folder / f"summary{suffix}.md"


def _checked_record(rec: object, path: str) -> TargetRecord:
    """A record of a summary file, as `record` writes it: its keys and status, and it renders
    (the summary and the verdict lines read every field they show); ValueError naming it."""
    if not (isinstance(rec, dict) and isinstance(rec.get("target"), str) and rec["target"]
            and isinstance(rec.get("backend"), str) and rec.get("status") in (PASS, FAIL, ERROR)):
        raise ValueError(f"{path}: not a check summary file (a target is "
                         f'{{"target": str, "backend": str, "status": PASS, FAIL or ERROR, ...}}, got {str(rec)[:80]})')
    try:
        render(rec), markdown([rec])
    except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
        problem = f"{type(exc).__name__}: {exc}"
        raise ValueError(f"{path}: target {rec['target']!r}: not a check record ({problem})") from None
    return rec


def merge(paths: Sequence[str]) -> list[TargetRecord]:
    """The records of several summary files (shards), in target order, each target once."""
    records: dict[tuple[str, str], TargetRecord] = {}
    for path in paths:
        try:
            document = json.loads(pathlib.Path(path).read_bytes().decode("utf-8"))
            targets = document["targets"]
        except (OSError, ValueError, KeyError, TypeError, RecursionError) as exc:
            raise ValueError(f"{path}: not a check summary file ({type(exc).__name__}: {exc})") from None
        if not isinstance(targets, list):
            raise ValueError(f"{path}: not a check summary file (its targets are not a list)")
        for rec in targets:
            rec = _checked_record(rec, path)
            records[(rec["target"], rec["backend"])] = rec
    return [records[key] for key in sorted(records)]
