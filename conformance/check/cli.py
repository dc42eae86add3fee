"""python -m conformance check TARGET... --backend NAME: put anyone's code through the spec.

TARGET is a .py file, FILE.py:NAME (one function or class), a Jupyter notebook, a chapter
in Dive into Deep Learning's Markdown format (the backend's tab), a folder or a glob. Each
target runs in a child process of its own, in this environment (or an overlay on it with
--install), under a time limit per case, per cell and per target and a resident-memory
limit; nothing of it runs in this process. Exit status: 0 every target passes, 1 a check
failed, 2 a usage or input-file error.
"""

import concurrent.futures
import os
import sys
import threading

import backends
from conformance.check import overlay, plan, results_out, roles, summary, targets
from conformance.check.launch import Spawn, Zygote
from conformance.check.sandbox import Limits, supervise
from conformance.check.sources import InputError
from spec import cases


def add_arguments(parser):
    parser.add_argument("targets", nargs="*", metavar="TARGET",
                        help="a .py, FILE.py:NAME, .ipynb or d2l .md file, a folder or a glob")
    parser.add_argument("--backend", choices=backends.names(), help="the framework the targets use")
    parser.add_argument("--function", action="append", metavar="ROLE=NAME",
                        help=f"check NAME as ROLE ({', '.join(roles.ROLES)}); repeatable")
    parser.add_argument("--timeout", type=float, default=20.0, metavar="SECONDS",
                        help="time limit of one case (default 20)")
    parser.add_argument("--cell-timeout", type=float, default=120.0, metavar="SECONDS",
                        help="time limit of one cell of the target while it loads (default 120)")
    parser.add_argument("--target-timeout", type=float, default=600.0, metavar="SECONDS",
                        help="time limit of one target, all its children together (default 600)")
    parser.add_argument("--memory", type=int, default=4096, metavar="MIB",
                        help="resident-memory limit of a target's child and its processes (default 4096)")
    parser.add_argument("--install", action="append", default=[], metavar="PKG",
                        help="a package the targets need, added to a throwaway overlay (repeatable)")
    parser.add_argument("--tab", help="the chapter tab to run (default: the backend's framework's)")
    parser.add_argument("--cases", nargs="+", help="case files (default: all of spec/cases)")
    parser.add_argument("--out", metavar="RESULTS.json|FOLDER",
                        help="write a results file per target (compare and report read it)")
    parser.add_argument("--summary", metavar="FOLDER",
                        help="write summary.md and summary.json there (default with several targets: check/)")
    parser.add_argument("--shard", metavar="K/N", help="check only the K-th of N shares of the targets")
    parser.add_argument("--merge", nargs="+", metavar="SUMMARY.json",
                        help="merge shards' summary.json files into --summary (no targets)")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 1, help="targets checked at once")
    parser.add_argument("--no-fork", action="store_true", help="start every child afresh, even where the "
                        "backend may fork after import")
    parser.add_argument("--verbose", action="store_true", help="every target's verdicts, not one line each")


def add_command(commands):
    parser = commands.add_parser("check", help="check your own corr2d, Conv2D and learning loop against the spec",
                                 description=__doc__)
    add_arguments(parser)
    parser.set_defaults(handler=main)
    return parser


def _tabs(args, name):
    if args.tab:
        return [args.tab]
    framework = backends.declaration(name).framework.split()[0].lower()
    return [framework] + ([name] if name != framework else [])


def _exit_status(records):
    statuses = {r["status"] for r in records}
    return 2 if summary.ERROR in statuses else 1 if summary.FAIL in statuses else 0


def _merge(args):
    records = summary.merge(args.merge)
    path = summary.write(args.summary or "check", records)
    for rec in records:
        print(summary.verdict_line(rec))
    print(f"check: merged {len(args.merge)} summaries, {len(records)} targets: {path}")
    return _exit_status(records)


def _launcher(args, python, name):
    if backends.declaration(name).offers("fork_after_import") and not args.no_fork:
        os.makedirs("check", exist_ok=True)
        return Zygote(python, name, os.path.join("check", f"fork-server-{name}.log"))
    return Spawn(python, name)


def _check(args, chosen, raw_cases):
    python, notes = overlay.ensure(sys.executable, args.install, say=print)
    for note in notes:
        print(f"check: note: {note}", file=sys.stderr)
    limits = Limits(args.timeout, args.cell_timeout, args.target_timeout, args.memory << 20)
    mapping = roles.parse_mapping(args.function)
    launcher = _launcher(args, python, args.backend)
    printing = threading.Lock()
    detailed = args.verbose or len(chosen) == 1

    def one(target):
        job = {"target": os.path.abspath(target.path), "function": target.function, "backend": args.backend,
               "mapping": mapping, "tabs": _tabs(args, args.backend)}
        run = supervise(job, launcher, lambda loaded: plan.plan(loaded["subjects"], raw_cases), limits)
        rec = summary.record(target.label, args.backend, run, launcher.forks)
        with printing:
            print(summary.render(rec) if detailed else summary.verdict_line(rec), flush=True)
        if args.out:
            results_out.write(args.out, rec, run, raw_cases, args.cases or cases.builtin_files(), len(chosen))
        return rec

    try:
        with concurrent.futures.ThreadPoolExecutor(max(1, min(args.jobs, len(chosen)))) as pool:
            records = list(pool.map(one, chosen))
    finally:
        launcher.close()
    return records


def main(args):
    try:
        if args.merge:
            if args.targets:
                raise ValueError("--merge takes summary files, not targets")
            return _merge(args)
        if not args.targets or not args.backend:
            raise ValueError("check needs TARGET... and --backend NAME")
        roles.parse_mapping(args.function)
        chosen = targets.expand(args.targets)
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
        records = _check(args, chosen, raw_cases) if chosen else []
    except overlay.OverlayError as exc:
        print(f"check: {exc}", file=sys.stderr)
        return 2
    if args.summary or len(chosen) > 1 or shard:
        path = summary.write(args.summary or "check", records, shard)
        print(f"check: {len(records)} target(s), summary in {path} and {path.with_suffix('.json')}")
    return _exit_status(records)
