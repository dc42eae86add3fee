"""Grading a class (`check --students DIR`): points per function, grades.csv and a feedback
file per student, from the students' records (plain data, so that shards merge to the same
bytes).

Points: `--points corr2d=2,Conv2D=2,learn=1` weighs each function by its role (check's roles:
corr2d, corr2d_multi_in, corr2d_multi_in_out, corr2d_multi_in_out_1x1, convolution, layer
(also written Conv2D), learn). A function earns its points when every case that applies to
it passes (a documented framework difference counts as passed, as in the verdict); with
`--partial`, its points times the share of its applicable cases that pass. A function the
student does not define, or that no case applies to, earns 0. Where several of a student's
functions play a role, the one with the lesson's name for it is graded (corr2d, then conv2d,
for corr2d; Conv2D for the layer), else the first the student defines. The functions given
points are --require'd too: a student without one fails. Without --points, each --require'd
role and each role any student's code plays weighs 1, in check's order of roles.

A student who could not be graded for a reason that is not theirs (the environment lacks the
framework, check's own child failed, check could not judge a result) gets no score: an empty
score in grades.csv, and the reason in the feedback. Nothing written here holds a time or a
path of this machine, so that one run and the merge of its shards write the same bytes.
"""

import csv
import io
import json
import pathlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from convsuite.conformance.check.child.roles import ROLES
from convsuite.conformance.check.judging import plan
from convsuite.conformance.check.judging.summary import SCRIPT_LOOP, TargetRecord
from convsuite.conformance.check.judging.verdict import Shown, ShownRow, SubjectRecord, VerdictRecord
from convsuite.conformance.check.sandbox.messages import ResultMessage
from convsuite.conformance.check.sandbox.supervise import INTERNAL, Call, CallEvent, Run
from convsuite.conformance.check.students import Student
from convsuite.spec import cases

ALIASES = {"Conv2D": "layer"}  # the lesson's name of a role, as --points may write it
LESSON_NAMES = {"corr2d": ("corr2d", "conv2d"), "layer": ("Conv2D",)}  # preferred where several play a role
SHOWN = 64  # arrays of at most this many elements are shown whole in the feedback
RULE = "a function earns its points when every case that applies to it passes"
PARTIAL_RULE = "a function earns its points times the share of the cases that apply to it that pass"
NOT_THEIRS = "not graded: {why} (not the student's doing: fix it and grade again)"

# --points as grading reads it: [(name, role, weight)] (config keeps [[name, weight]] in JSON)
Points = list[tuple[str, str, float]]
# What grading needs to know (`config`), kept in summary.json for --merge
Config = dict[str, Any]


@dataclass(frozen=True)
class FunctionGrade:
    """What one function of --points earned: `subject` is the student's function or class
    graded for it (None: they define none)."""
    name: str
    role: str
    weight: float
    earned: float
    subject: SubjectRecord | None


@dataclass(frozen=True)
class Graded:
    """A student's grade; `score` None: not graded (not their doing)."""
    score: float | None
    maximum: float
    functions: list[FunctionGrade]


def role_of(name: str) -> str | None:
    return ALIASES.get(name, name if name in ROLES else None)


def parse_points(text: str) -> list[list[Any]]:
    """"corr2d=2,Conv2D=2,learn=1" -> [[name, weight]]; ValueError naming the bad item."""
    known = ", ".join([*ROLES, *ALIASES])
    points: list[list[Any]] = []
    given: dict[str, str] = {}  # role -> the name it was given points under
    for item in text.split(","):
        name, sep, weight = item.strip().partition("=")
        if not sep or not name:
            raise ValueError(f"--points: {item!r} is not FUNCTION=POINTS (for example corr2d=2)")
        role = role_of(name)
        if role is None:
            raise ValueError(f"--points: {item!r}: {name!r} is not one of check's functions ({known})")
        try:
            value = float(weight)
        except ValueError:
            raise ValueError(f"--points: {item!r}: {weight!r} is not a number") from None
        if not (np.isfinite(value) and value >= 0):
            raise ValueError(f"--points: {item!r}: the points must be a finite number >= 0")
        if role in given:
            raise ValueError(f"--points: {item!r}: {name} already has points"
                             + (f" (as {given[role]!r})" if given[role] != name else ""))
        given[role] = name
        points.append([name, int(value) if value == int(value) else value])
    return points


def config(points_text: str | None, partial: bool, required: Iterable[str]) -> Config:
    """What grading needs to know, kept in summary.json for --merge."""
    return {"points": parse_points(points_text) if points_text else None, "partial": bool(partial),
            "require": [name for name in required if role_of(name)]}


def points_of(conf: Config, records: Sequence[TargetRecord]) -> Points:
    """[(name, role, weight)]: --points, else 1 for each --require'd role and each role a
    student's code plays, in ROLES order."""
    if conf["points"] is not None:
        return [(name, ALIASES.get(name, name), weight) for name, weight in conf["points"]]  # role_of, of a valid name
    played = {role_of(name) for name in conf["require"]}
    played |= {s["role"] for rec in records for s in rec.get("subjects", [])}
    return [("Conv2D" if role == "layer" else role, role, 1) for role in ROLES if role in played]


def required(conf: Config) -> list[str]:
    """The names grading --require's: the functions given points."""
    return [name for name, _ in conf["points"]] if conf["points"] else []


def _number(value: float) -> str:
    value = round(float(value), 2)
    return str(int(value)) if value == int(value) else f"{value:.2f}".rstrip("0")


# --- what a student's record gains (in the process that ran them) -------------------------

def _format(value: Any) -> str:
    array = np.asarray(value, dtype=np.float64)
    if array.ndim == 0:
        number = float(array)
        return str(int(number)) if number.is_integer() and abs(number) < 1e15 else f"{number:.6g}"
    return "[" + ", ".join(_format(item) for item in array) + "]"


def _shape(array: Any) -> str:
    return "x".join(map(str, np.shape(array))) or "scalar"


def _array(array: Any) -> str:
    """"(3x3) [[0, 1, 2], ...]", or its shape alone where it is too large to show."""
    array = np.asarray(array)
    if array.size <= SHOWN:
        return f"({_shape(array)}) {_format(array)}"
    return f"({_shape(array)}) too large to show"


def _inputs(case: cases.Case) -> dict[str, str]:
    shown = {}
    for name, value in case.inputs.items():
        if isinstance(value, np.ndarray):
            shown[name] = _array(value)
        elif name in ("lr", "steps", "learn_bias"):
            shown[name] = str(value)
    return shown


def _outputs(case: cases.Case, raw: plan.RawCase, result: ResultMessage | CallEvent | None) -> list[ShownRow]:
    """[{"field", "expected", "actual", "largest_error"}] for the case's output fields."""
    want = plan.expected(raw)
    outputs = (result.get("outputs") if result is not None and "event" not in result else None) or {}
    shown: list[ShownRow] = []
    for field in case.outputs:
        if field not in want:
            continue
        expected, description = np.asarray(want[field], np.float64), outputs.get(field)
        got = (np.asarray(description["values"], np.float64).reshape(description["shape"])
               if description and "values" in description else None)
        row: ShownRow = {"field": field, "expected": _array(expected), "actual": None, "largest_error": None}
        if got is not None:
            row["actual"] = _array(got)
            if got.shape == expected.shape and got.size:
                with np.errstate(all="ignore"):
                    error = np.abs(got - expected)
                error = np.where(np.isnan(got) & np.isnan(expected), 0.0, error)
                error = np.where(np.isnan(error), np.inf, error)
                index = np.unravel_index(int(np.argmax(error)), error.shape)
                row["largest_error"] = f"{_format(error[index])} at {list(map(int, index))}"
        elif description and description["form"] == "none":
            row["actual"] = "None"
        elif description and "unreadable" in description:
            row["actual"] = f"not numbers ({description.get('type', '?')})"
        shown.append(row)
    return shown


def _shown(call: Call, result: ResultMessage | CallEvent | None) -> Shown:
    """The first failing case of a function, for a person: its inputs and outputs."""
    raw = call.case
    case = plan.parsed(raw)
    return {"inputs": _inputs(case), "outputs": _outputs(case, raw, result)}


def _not_theirs(rec: TargetRecord, run: Run) -> str | None:
    if run.environment_error:
        error: str = rec["error"]
        return error
    events = [run.target_event, *run.cell_events.values(),
              *(r["event"] for r in run.results.values() if "event" in r)]
    if any(event and event.get("status") == INTERNAL for event in events):
        return "check's own child failed (a bug in check, please report it)"
    if any(v.get("kind") == "could not be judged" for s in rec.get("subjects", []) for v in s["failures"]):
        return "check could not judge a result (a bug in check, please report it)"
    return None


def annotate(rec: TargetRecord, run: Run, student: Student) -> TargetRecord:
    """The student's record gains their files, what was ignored (also as notes), whether
    they could be graded, and each function's first failing case in full."""
    rec.update(student=True, files=student.names, ignored=list(student.ignored), ungraded=_not_theirs(rec, run))
    if "notes" in rec:
        rec["notes"] = [f"ignored {why}" for why in student.ignored] + rec["notes"]
    by_case = {(call.subject, call.case["id"]): call for call in run.calls}
    subjects: list[SubjectRecord] = rec.get("subjects", [])
    for subject in subjects:
        first = subject["first_failure"]
        call = by_case.get((first["subject"], first["case"])) if first else None
        if first and call:
            try:
                first["shown"] = _shown(call, run.results.get(call.i))
            except Exception as exc:  # a courtesy: never an error of the run
                first["shown"] = {"inputs": {}, "outputs": [], "error": f"{type(exc).__name__}: {exc}"}
    return rec


def empty_record(student: Student, backend: str, required_names: Sequence[str]) -> TargetRecord:
    """The record of a student with no code file: nothing ran, nothing passes."""
    problems = ["no .py or .ipynb file in the student's folder"]
    if required_names:
        problems.append(f"no {', '.join(required_names)} in the target (--require)")
    return {"target": student.name, "backend": backend, "seconds": 0.0, "attempts": 0, "sandboxed": None,
            "peak_mib": 0, "printed_bytes": 0, "output_tail": "", "stray_message_lines": 0, "status": "FAIL",
            "error": None, "tab": None, "cells": 0, "versions": {}, "subjects": [], "problems": problems,
            "notes": [f"ignored {why}" for why in student.ignored], "loops": [], "not_checked": [],
            "nothing_to_check": False, "nothing_checked": False, "student": True, "files": [],
            "ignored": list(student.ignored), "ungraded": None}


# --- grades -----------------------------------------------------------------------------

def _pick(rec: TargetRecord, name: str, role: str) -> SubjectRecord | None:
    playing: list[SubjectRecord] = [s for s in rec.get("subjects", []) if s["role"] == role]
    preferred = [name, *LESSON_NAMES.get(role, ())]
    return min(playing, key=lambda s: preferred.index(s["name"]) if s["name"] in preferred else len(preferred),
               default=None)


def _first_hint(subject: SubjectRecord | None) -> str:
    return next((hint for v in subject["failures"] if (hint := v.get("hint"))), "") if subject else ""


def grade(rec: TargetRecord, points: Points, partial: bool) -> Graded:
    """The student's grade under `points`."""
    functions, score = [], 0.0
    for name, role, weight in points:
        subject = _pick(rec, name, role)
        earned = 0.0
        if subject and subject["applicable"]:
            share = subject["passed"] / subject["applicable"]
            earned = weight * share if partial else weight * (subject["passed"] == subject["applicable"])
        score += earned
        functions.append(FunctionGrade(name=name, role=role, weight=weight, earned=earned, subject=subject))
    maximum = sum(weight for _, _, weight in points)
    return Graded(score=None if rec.get("ungraded") else score, maximum=maximum, functions=functions)


def _passed(subject: SubjectRecord | None) -> str:
    return f"{subject['passed']}/{subject['applicable']}" if subject else "missing"


def grades_csv(records: Sequence[TargetRecord], points: Points, partial: bool) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["student", "score", "maximum", *[f"{n}_{c}" for n, _, _ in points for c in ("passed", "hint")]])
    for rec in sorted(records, key=lambda r: r["target"]):
        graded = grade(rec, points, partial)
        row = [rec["target"], "" if graded.score is None else _number(graded.score), _number(graded.maximum)]
        for fn in graded.functions:
            row += ["", ""] if graded.score is None else [_passed(fn.subject), _first_hint(fn.subject)]
        writer.writerow(row)
    return out.getvalue()


# --- feedback ---------------------------------------------------------------------------

def _plural(n: float, word: str) -> str:
    return f"{_number(n)} {word}{'' if n == 1 else 's'}"


def _case_lines(verdict: VerdictRecord) -> list[str]:
    lines = [f"First failing case: `{verdict['case']}` ({verdict['inputs']})", ""]
    shown: Shown | dict[str, Any] = verdict.get("shown") or {}  # a merged summary's record may lack any part of it
    lines += [f"- input {name} {value}" if value.startswith("(") else f"- input {name}: {value}"
              for name, value in shown.get("inputs", {}).items()]
    for row in shown.get("outputs", []):
        lines.append(f"- expected {row['field']} {row['expected']}")
        actual = row["actual"] or "none (see what went wrong)"
        lines.append(f"- your {row['field']}{' ' if actual.startswith('(') else ': '}{actual}")
        if row["largest_error"]:
            lines.append(f"- largest error of {row['field']}: {row['largest_error']}")
    lines.append(f"- what went wrong: {verdict['detail']}")
    if verdict.get("hint"):
        lines.append(f"- hint: {verdict['hint']}")
    return lines


def _function_lines(fn: FunctionGrade) -> list[str]:
    subject, head = fn.subject, f"## {fn.name}: {_number(fn.earned)} of {_plural(fn.weight, 'point')}"
    if subject is None:
        what = ROLES[fn.role].what
        return [head, "", f"Missing: none of your functions or classes was found as {fn.name} ({what}).", ""]
    lines = [head, ""]
    if subject["name"] != fn.name:
        lines += [f"Graded: your {subject['name']} (found by {subject['found']}).", ""]
    if not subject["applicable"]:
        return lines + ["No case applies to it: not checked, so it earns nothing.", ""]
    lines += [f"{subject['passed']} of {subject['applicable']} applicable cases pass."
              + (f" ({subject['not_applicable']} cases do not apply to it and are not counted.)"
                 if subject["not_applicable"] else ""), ""]
    first = subject["first_failure"]
    if first:
        lines += _case_lines(first) + [""]
        later = next((v for v in subject["failures"] if v.get("hint")), None)
        if not first.get("hint") and later:
            lines += [f"A hint from a later failing case, `{later['case']}` ({later['inputs']}): {later['hint']}", ""]
    return lines


def _only_missing(problem: str, pointed: set[str]) -> bool:
    """Whether a problem only says that functions given points are missing."""
    head, tail = "no ", " in the target (--require)"
    return (problem.startswith(head) and problem.endswith(tail)
            and set(problem[len(head):-len(tail)].split(", ")) <= pointed)


def feedback(rec: TargetRecord, points: Points, partial: bool) -> str:
    """The student's feedback in Markdown."""
    graded = grade(rec, points, partial)
    lines = [f"# {rec['target']}: {rec['status']}", ""]
    if graded.score is None:
        lines += [NOT_THEIRS.format(why=rec["ungraded"]), ""]
    else:
        rule = PARTIAL_RULE if partial else RULE
        lines += [f"Score: {_number(graded.score)} of {_number(graded.maximum)} ({rule}).", ""]
    if rec.get("files"):
        lines += [f"Your files, run in this order as one program: {', '.join(rec['files'])}.", ""]
    if rec.get("ignored"):
        lines += ["Ignored (not run):", ""] + [f"- {why}" for why in rec["ignored"]] + [""]
    if rec["status"] == "ERROR" and graded.score is not None:
        lines += [f"Could not be checked: {rec['error']}", ""]
    if graded.score is not None:
        for fn in graded.functions:
            lines += _function_lines(fn)
    graded_names = {fn.subject["name"] for fn in graded.functions if fn.subject}
    others = [s for s in rec.get("subjects", []) if s["name"] not in graded_names]
    if others:
        lines += ["## Also checked (no points)", ""]
        lines += [f"- {s['name']} (as {s['role']}): {s['passed']} of {s['applicable']} applicable cases pass"
                  for s in others] + [""]
    if rec.get("loops"):
        lines += ["## Learning scripts", ""]
        lines += [f"- {loop['where']} ({loop['code']}): {SCRIPT_LOOP}" for loop in rec["loops"]] + [""]
    pointed = {fn.name for fn in graded.functions} | {fn.role for fn in graded.functions}
    problems = [p for p in rec.get("problems", []) if not _only_missing(p, pointed)]  # said above, per function
    if problems:
        lines += ["## Problems running your code", ""] + [f"- {p}" for p in problems] + [""]
    ignored = {f"ignored {why}" for why in rec.get("ignored", [])}  # said above
    notes = [n for n in rec.get("notes", []) if n not in ignored]
    notes += [note for s in rec.get("subjects", []) for note in s.get("notes", [])]
    if notes:
        lines += ["## Notes", ""] + [f"- {n}" for n in notes] + [""]
    return "\n".join(lines).rstrip("\n") + "\n"


def write(folder: str | pathlib.Path, records: Sequence[TargetRecord], conf: Config) -> pathlib.Path:
    """grades.csv and feedback/STUDENT.md in `folder`; the path of grades.csv."""
    folder = pathlib.Path(folder)
    points = points_of(conf, records)
    (folder / "feedback").mkdir(parents=True, exist_ok=True)
    (folder / "grades.csv").write_text(grades_csv(records, points, conf["partial"]))
    for rec in records:
        (folder / "feedback" / f"{rec['target']}.md").write_text(feedback(rec, points, conf["partial"]))
    return folder / "grades.csv"


def exit_status(records: Sequence[TargetRecord], strict: bool) -> int:
    """0: every student graded; 1: one could not be graded (not their doing), or with
    --strict one does not pass."""
    if any(rec.get("ungraded") for rec in records):
        return 1
    return 1 if strict and any(rec["status"] != "PASS" for rec in records) else 0


def _written_config(grading: Any) -> Config | None:
    """The grading settings `config` writes for the same --points, --partial and --require
    (None where they are not even of the right kinds): a summary's must be these."""
    try:
        points = grading["points"]
        text = ",".join(f"{name}={weight}" for name, weight in points) if points is not None else None
        written = config(text, grading["partial"], grading["require"])
    except (KeyError, TypeError, ValueError, AttributeError):
        return None
    partial, require = grading["partial"], grading["require"]
    kinds = isinstance(partial, bool) and isinstance(require, list) and all(isinstance(n, str) for n in require)
    return written if kinds and set(grading) == set(written) else None


def read_config(paths: Sequence[str]) -> Config | None:
    """The grading settings of shards' summary.json files (None: not a grading run);
    ValueError where they differ."""
    found: set[str] = set()
    for path in paths:
        try:
            grading = json.loads(pathlib.Path(path).read_bytes().decode("utf-8")).get("grading")
        except (OSError, ValueError, AttributeError, RecursionError) as exc:
            raise ValueError(f"{path}: not a check summary file ({type(exc).__name__}: {exc})") from None
        if grading is not None and grading != _written_config(grading):
            raise ValueError(f"{path}: not a check summary file (its grading is not what check writes: "
                             f"{str(grading)[:80]})")
        found.add(json.dumps(grading, sort_keys=True))
    if len(found) > 1:
        raise ValueError("--merge: the summaries were graded with different --points, --partial or --require")
    return json.loads(found.pop()) if found else None
