"""python -m conformance tabs CHAPTER.md: do a d2l chapter's framework tabs agree, step by step?

Each tab of the chapter runs in its backend's pinned environment (a book tab maps to the
backend that declares it as its `book_tab`), sandboxed as `check` runs a target, twice with
different seeds. The tabs of one code block group (as the book shows them) are one step; at
each step the tabs' last expressions are compared: shapes and dtypes' kinds exactly, values
within the suite's derived tolerance, and only shapes where a value changes between the two
runs (random). A step that raises in some tabs and not others is a disagreement. One line per
step, then the verdict. Exit status: 0 every step agrees, 1 a disagreement, a step that
raises in every tab, or a tab that could not run, 2 a usage or input-file error.
"""

import argparse
import contextlib
import json
import sys
import time

from convsuite.conformance.check.child.sources import InputError
from convsuite.conformance.check.cli import _positive
from convsuite.conformance.check.sandbox import launch
from convsuite.conformance.check.sandbox.supervise import Limits
from convsuite.conformance.tabs import chapter as chapters, runner, summary


def add_command(commands):
    parser = commands.add_parser("tabs", help="run a d2l chapter's framework tabs and compare them step by step",
                                 description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("chapter", metavar="CHAPTER.md", help="a chapter in Dive into Deep Learning's Markdown format")
    parser.add_argument("--tab", action="append", metavar="NAME",
                        help="run only this tab (repeatable; default: every tab the chapter has)")
    parser.add_argument("--install", action="append", default=[], metavar="PKG",
                        help="a package the tabs need (d2l==1.0.3), added to check's throwaway overlay of each "
                        "backend's environment; TAB:PKG for one tab only; repeatable")
    parser.add_argument("--cell-timeout", type=_positive(float), default=120.0, metavar="SECONDS",
                        help="time limit of one cell (default 120)")
    parser.add_argument("--tab-timeout", type=_positive(float), default=600.0, metavar="SECONDS",
                        help="time limit of one run of a tab (default 600)")
    parser.add_argument("--memory", type=_positive(int), default=4096, metavar="MIB",
                        help="resident-memory limit of a tab's sandbox (default 4096)")
    parser.add_argument("--no-sandbox", action="store_true",
                        help="run the tabs unconfined, as this user (only for a chapter you trust)")
    parser.add_argument("--jobs", type=_positive(int), default=None, help="tab runs at once (default: the cores)")
    parser.add_argument("--out", metavar="FILE.json", help="write the document there, and FILE.md beside it")
    parser.add_argument("--json", action="store_true",
                        help="print the document as JSON on stdout and nothing else (the lines go to stderr)")
    parser.set_defaults(handler=main)
    return parser


def _states(chapter, chosen):
    """{tab: (state, backend, why)} for every tab of the chapter, and the tabs to run."""
    mapping = runner.backend_of_tab()
    states, run = {}, []
    for tab in chapter.tabs:
        if tab not in mapping:
            states[tab] = (summary.NO_BACKEND, None, "the suite has no backend for this framework")
        elif chosen and tab not in chosen:
            states[tab] = (summary.NOT_CHOSEN, mapping[tab], "not given with --tab")
        else:
            states[tab], run = (summary.RAN, mapping[tab], ""), run + [tab]
    return states, run


def _tabs(args):
    start = time.monotonic()
    try:
        chapter = chapters.read(args.chapter)
        unknown = [t for t in args.tab or [] if t not in chapter.tabs]
        if unknown:
            raise InputError(f"{args.chapter}: no {', '.join(unknown)} tab (its tabs: {', '.join(chapter.tabs)})")
    except InputError as exc:
        print(f"tabs: {exc}", file=sys.stderr)
        return 2, None
    states, chosen = _states(chapter, args.tab)
    limits = Limits(case_s=args.cell_timeout, cell_s=args.cell_timeout, target_s=args.tab_timeout,
                    memory_bytes=args.memory << 20)
    try:
        results = runner.run_tabs(chapter, chosen, limits=limits, install=args.install, sandboxed=not args.no_sandbox,
                                  jobs=args.jobs)
    except launch.SandboxUnavailable as exc:
        print(f"tabs: {exc}", file=sys.stderr)
        return 1, None
    for tab, result in results.items():
        if result.problem:
            states[tab] = (summary.FAILED, result.backend, result.problem)
    doc = summary.document(chapter, states, results=results, seconds=time.monotonic() - start)
    for step in doc["steps"]:
        print(summary.step_line(step))
    print(summary.verdict_line(doc))
    if args.out:
        paths = summary.write(doc, args.out)
        print(f"tabs: wrote {paths[0]} and {paths[1]}")
    return (0 if doc["verdict"] == summary.AGREE else 1), doc


def main(args):
    """The exit status; with --json, stdout holds only the document."""
    if not args.json:
        return _tabs(args)[0]
    stdout = sys.stdout
    with contextlib.redirect_stdout(sys.stderr):
        status, doc = _tabs(args)
    if doc is not None:
        stdout.write(json.dumps(doc, indent=1) + "\n")
    return status
