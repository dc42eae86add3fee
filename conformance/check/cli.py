"""python -m conformance check TARGET... --backend NAME: put anyone's code through the spec.

TARGET is a .py file, FILE.py:NAME (one function or class), a Jupyter notebook, a chapter
in Dive into Deep Learning's Markdown format (the backend's tab), a folder or a glob. Each
target runs in a sandbox of its own (bubblewrap: no network, no view of this machine but the
system and the Python environment, its own processes), in this environment (or an overlay
on it with --install), under a time limit per case, per cell and per target, a
resident-memory and a process-count limit; it only computes, and this process judges what
it returns. Exit status: 0 every target passes, 1 a check failed (or no sandbox could be
made), 2 a usage or input-file error.
"""

import argparse
import concurrent.futures
import contextlib
import json
import math
import os
import pathlib
import sys
import threading

from convsuite import backends
from convsuite.conformance.check import forbid, students, targets
from convsuite.conformance.check.child import roles
from convsuite.conformance.check.child.sources import InputError
from convsuite.conformance.check.judging import grades, plan, results_out, summary
from convsuite.conformance.check.sandbox import launch, overlay
from convsuite.conformance.check.sandbox.supervise import Limits, supervise
from convsuite.spec import cases


GRADING = """grading (--students DIR):
  Each subfolder of DIR is a student named by it (where DIR has no subfolder, each .py and
  .ipynb file is one). A student's .py and .ipynb files run in one sandbox, in the order of
  their names, as one program (a later file's definition of a name replaces an earlier
  one's); their other files (README.md, data, subfolders) are not run, and the feedback says
  so. One verdict per student.
  Points (--points corr2d=2,Conv2D=2,learn=1, by check's roles; Conv2D is the layer): a
  function earns its points when every case that applies to it passes; with --partial, its
  points times the share of its applicable cases that pass. A missing function, or one no
  case applies to, earns 0; the functions given points are --require'd. Without --points
  each --require'd role and each role a student's code plays weighs 1.
  Writes, in --summary (default check/): grades.csv (student, score, maximum, then per
  function FN_passed and FN_hint), feedback/STUDENT.md, summary.json and summary.md;
  --merge of the shards' summary.json files writes the same bytes.
  exit status:
    0  every student was graded, whatever their grades
    1  a student could not be graded for a reason not theirs (no sandbox, an environment
       that lacks the framework or could not be built, a failure of check's own);
       with --strict, also any student who does not pass
    2  a usage or input error (a bad --points item, DIR not a folder or without students)
"""


def _positive(kind):
    """An argparse type: a positive, finite number of `kind`."""
    def parse(text):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        if not (math.isfinite(value) and value > 0):
            raise argparse.ArgumentTypeError(f"must be a positive, finite number, got {text!r}")
        return value
    parse.__name__ = f"positive {kind.__name__}"
    return parse


def add_arguments(parser):
    parser.add_argument("targets", nargs="*", metavar="TARGET",
                        help="a .py, FILE.py:NAME, .ipynb or d2l .md file, a folder or a glob")
    parser.add_argument("--backend", choices=backends.names(), help="the framework the targets use")
    parser.add_argument("--function", action="append", metavar="ROLE=NAME",
                        help=f"check NAME as ROLE ({', '.join(roles.ROLES)}); repeatable")
    parser.add_argument("--require", metavar="NAME,...", default="",
                        help="names or roles every target must define (e.g. corr2d,Conv2D,learn): a missing one "
                        "fails the target, whose other functions are still judged")
    parser.add_argument("--forbid", metavar="NAME,...|builtins",
                        help="dotted names of functions and classes the targets must not use (module.function, as "
                        "its module spells it, or as the target writes it through an import alias); builtins: the "
                        "backend's built-in convolutions and cross-correlations (its declared list). A use fails "
                        "the target. Found by reading the source (imports, aliases, attribute chains, "
                        "getattr with a literal name), never by running it: a lint of the source, not a proof: "
                        "code that builds the name at run time escapes it")
    parser.add_argument("--timeout", type=_positive(float), default=20.0, metavar="SECONDS",
                        help="time limit of one case (default 20)")
    parser.add_argument("--cell-timeout", type=_positive(float), default=120.0, metavar="SECONDS",
                        help="time limit of one cell of the target while it loads (default 120)")
    parser.add_argument("--target-timeout", type=_positive(float), default=600.0, metavar="SECONDS",
                        help="time limit of one target, all its children together (default 600)")
    parser.add_argument("--memory", type=_positive(int), default=4096, metavar="MIB",
                        help="resident-memory limit of a target's sandbox, all its processes (default 4096)")
    parser.add_argument("--processes", type=_positive(int), default=64, metavar="N",
                        help="process limit of a target's sandbox (default 64)")
    parser.add_argument("--share", action="append", default=[], metavar="FOLDER",
                        help="a folder every target may read (its helpers), at its place relative to the target; "
                        "repeatable")
    parser.add_argument("--no-sandbox", action="store_true",
                        help="run the targets without a sandbox, as this user, with this machine's files and "
                        "network (only for code you trust)")
    parser.add_argument("--install", action="append", default=[], metavar="PKG",
                        help="a package the targets need, added to a throwaway overlay (repeatable)")
    parser.add_argument("--tab", help="the chapter tab to run (default: the backend's framework's)")
    parser.add_argument("--cases", action="append", metavar="FILE",
                        help="a case file (repeatable; default: all of spec/cases)")
    parser.add_argument("--out", metavar="RESULTS.json|FOLDER",
                        help="write a results file per target (compare and report read it)")
    parser.add_argument("--summary", metavar="FOLDER",
                        help="write summary.md and summary.json there (default with several targets: check/)")
    parser.add_argument("--shard", metavar="K/N", help="check only the K-th of N shares of the targets")
    parser.add_argument("--merge", nargs="+", metavar="SUMMARY.json",
                        help="merge shards' summary.json files into --summary (no targets)")
    parser.add_argument("--jobs", type=_positive(int), default=os.cpu_count() or 1, help="targets checked at once")
    parser.add_argument("--students", metavar="DIR",
                        help="grade a class: each subfolder of DIR is a student (or each file, where DIR has no "
                        "subfolder), all their .py and .ipynb files run together; writes grades.csv and "
                        "feedback/STUDENT.md beside the summary (see GRADING below)")
    parser.add_argument("--points", metavar="FN=POINTS,...",
                        help="with --students: the points of each function, by role (e.g. corr2d=2,Conv2D=2,learn=1; "
                        "default 1 for each --require'd role and each role a student's code plays)")
    parser.add_argument("--partial", action="store_true",
                        help="with --students: a function earns its points times the share of its applicable cases "
                        "that pass (default: all its points when they all pass, else none)")
    parser.add_argument("--strict", action="store_true",
                        help="with --students: exit 1 where any student does not pass")
    parser.add_argument("--verbose", action="store_true", help="every target's verdicts, not one line each")
    parser.add_argument("--json", action="store_true",
                        help="print the summary's JSON (summary.json's document) on stdout and nothing else; the "
                        "verdict lines and notes go to stderr")


def add_command(commands):
    parser = commands.add_parser("check", help="check your own corr2d, Conv2D and learning loop against the spec",
                                 description=__doc__, epilog=GRADING,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    add_arguments(parser)
    parser.set_defaults(handler=main)
    return parser


def _tabs(args, name):
    if args.tab:
        return [args.tab]
    tab = backends.declaration(name).check["book_tab"]
    return [tab] + ([name] if name != tab else [])


def _exit_status(records):
    statuses = {r["status"] for r in records}
    return 2 if summary.ERROR in statuses else 1 if summary.FAIL in statuses else 0


def _check_gradable(records, graded):
    """Merged records that grading can write out, before anything is written: each target a
    student's folder name (it names a feedback file), each record graded and fed back."""
    points = grades.points_of(graded, records)
    for rec in records:
        name = rec["target"]
        if pathlib.PurePath(name).name != name or name in (".", ".."):
            raise ValueError(f"--merge: target {name!r} is not a student's folder name")
        try:
            grades.feedback(rec, points, graded["partial"])
        except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
            raise ValueError(f"--merge: target {name!r}: not a graded record ({type(exc).__name__}: {exc})") from None


def _merge(args):
    records = summary.merge(args.merge)
    graded = grades.read_config(args.merge)
    if graded is not None:
        _check_gradable(records, graded)
    args.document = summary.document(records, grading=graded)
    path = summary.write(args.summary or "check", records, grading=graded)
    for rec in records:
        print(summary.verdict_line(rec))
    print(f"check: merged {len(args.merge)} summaries, {len(records)} targets: {path}")
    if graded is not None:
        print(f"check: grades in {grades.write(args.summary or 'check', records, graded)}")
        return grades.exit_status(records, args.strict)
    return _exit_status(records)


def _check(args, chosen, raw_cases, *, grading=None):
    fixes = backends.declaration(args.backend).check["after_install"]
    python, notes = overlay.ensure(sys.executable, args.install, fixes=fixes, say=print)
    for note in notes:
        print(f"check: note: {note}", file=sys.stderr)
    limits = Limits(args.timeout, args.cell_timeout, args.target_timeout, args.memory << 20, args.processes)
    mapping = roles.parse_mapping(args.function)
    launcher = launch.launcher(python, args.backend, sandboxed=not args.no_sandbox)
    if args.no_sandbox:
        print("check: warning: --no-sandbox: the targets run unconfined, as this user, with this machine's files "
              "and network", file=sys.stderr)
    printing = threading.Lock()
    detailed = args.verbose or len(chosen) == 1
    paths = [target.path for target in chosen]
    required = [name for name in args.require.split(",") if name]
    required += [name for name in grades.required(grading or {"points": None}) if name not in required]

    def one(target):
        student = isinstance(target, students.Student)
        if student and not target.files:
            return grades.empty_record(target, args.backend, required)
        job = {"function": target.function, "mapping": mapping, "tabs": _tabs(args, args.backend),
               "training_calls": backends.declaration(args.backend).check["training_calls"],
               **({"files": target.names} if student else {})}
        others = target.others if student else [p for p in paths if p != target.path]
        staged = launch.Staged(target.path, others, args.share)
        run = supervise(job, launcher, staged, planner=lambda loaded: plan.plan(loaded["subjects"], raw_cases),
                        limits=limits)
        rec = summary.record(target.label, args.backend, run, sandboxed=launcher.sandboxed, required=required)
        if getattr(args, "forbidden", None):
            files = list(target.files) if student else [target.path]
            summary.add_forbidden(rec, forbid.lint(files, _tabs(args, args.backend), args.forbidden))
        if student:
            grades.annotate(rec, run, target)
        with printing:
            print(summary.render(rec) if detailed else summary.verdict_line(rec), flush=True)
        if args.out:
            results_out.write(args.out, rec, run, raw_cases=raw_cases, case_files=args.cases or cases.builtin_files(),
                              count=len(chosen))
        return rec

    with concurrent.futures.ThreadPoolExecutor(max(1, min(args.jobs, len(chosen)))) as pool:
        return list(pool.map(one, chosen))


def main(args):
    """The exit status; with --json, stdout holds only the summary's JSON."""
    args.document = None
    if not args.json:
        return _main(args)
    stdout = sys.stdout
    with contextlib.redirect_stdout(sys.stderr):
        status = _main(args)
    if args.document is not None:
        stdout.write(json.dumps(args.document, indent=1) + "\n")
    return status


def _main(args):
    try:
        if args.merge:
            if args.targets or args.students:
                raise ValueError("--merge takes summary files, not targets")
            return _merge(args)
        grading = grades.config(args.points, args.partial, args.require.split(",")) if args.students else None
        if grading is None and (args.points or args.partial or args.strict):
            raise ValueError("--points, --partial and --strict grade a class: give them with --students DIR")
        if args.students and args.targets:
            raise ValueError("--students DIR takes no TARGET")
        if not (args.targets or args.students) or not args.backend:
            raise ValueError("check needs TARGET... (or --students DIR) and --backend NAME")
        roles.parse_mapping(args.function)
        args.forbidden = forbid.parse(args.forbid, backends.declaration(args.backend).check["forbidden"],
                                      args.backend) if args.forbid is not None else []
        for folder in args.share:
            if not os.path.isdir(folder):
                raise ValueError(f"--share {folder}: not a folder")
        chosen, loose = students.expand(args.students) if args.students else (targets.expand(args.targets), [])
        for note in loose:
            print(f"check: note: {note}", file=sys.stderr)
        shard = targets.parse_shard(args.shard) if args.shard else None
        if shard:
            chosen = targets.shard(chosen, *shard)
        raw_cases = cases.load(args.cases)
    except (ValueError, InputError, cases.CaseFileError) as exc:
        print(f"check: {exc}", file=sys.stderr)
        return 2
    if not chosen:
        print(f"check: shard {args.shard} holds none of the targets", file=sys.stderr)
    try:
        records = _check(args, chosen, raw_cases, grading=grading) if chosen else []
    except overlay.OverlayError as exc:
        print(f"check: {exc}", file=sys.stderr)
        return 2 if grading is None else 1  # grading: the students could not be graded, not by their doing
    except launch.SandboxUnavailable as exc:
        print(f"check: {exc}", file=sys.stderr)
        return 1
    args.document = summary.document(records, shard, grading)
    if args.summary or len(chosen) > 1 or shard or grading is not None:
        path = summary.write(args.summary or "check", records, shard, grading=grading)
        print(f"check: {len(records)} target(s), summary in {path} and {path.with_suffix('.json')}")
    if grading is not None:
        if not shard:  # a shard's grades come with --merge, over every student
            print(f"check: grades in {grades.write(args.summary or 'check', records, grading)}")
        return grades.exit_status(records, args.strict)
    return _exit_status(records)
