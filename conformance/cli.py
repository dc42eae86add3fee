"""python -m conformance run --backend NAME [--cases FILE] ... --out RESULTS.json
python -m conformance compare RESULTS.json ... [--cases FILE] ... [--allow-skipped] [--verbose] [--matrix] [--json]
python -m conformance fuzz --python NAME=PYTHON ... [--examples N] [--seed S] [--out FILE]
python -m conformance serve --backend NAME     (a fuzz worker; the fuzzer starts it)
python -m conformance report [RESULTS.json ...] [--bench BENCH.json] --out report/
python -m conformance port TOPIC --from BACKEND --to BACKEND
python -m conformance coverage [--write FILE]
python -m conformance bench --python NAME=PYTHON ... [--sizes SIZE ...] [--out bench/results.json]
python -m conformance check TARGET... --backend NAME [--function ROLE=NAME] [--out RESULTS.json]

Exit codes, the same for every command: 0 all agree (or the check passed); 1 a disagreement
or a failed check; 2 a usage error or a file that cannot be read (one line on stderr that
names the file and the problem); 3 `run` found its backend's framework missing and wrote a
"skipped" results file.
"""

import argparse
import json
import os
import pathlib
import select
import shutil
import sys

from convsuite import backends
from convsuite.conformance.harness import compare, results, table
from convsuite.spec import cases

# Errors that are the input's, not the program's: reported in one line, exit code 2.
INPUT_ERRORS = (cases.CaseFileError, results.ResultsFileError, backends.ContractError, OSError)


def _run(args):
    case_files = args.cases or cases.builtin_files()
    raw_cases = cases.load(case_files)
    try:
        backend = backends.load(args.backend)
    except backends.BackendUnavailable as exc:
        results.write(args.out, args.backend, versions={}, case_files=case_files, skipped=str(exc))
        print(f"SKIPPED backend {args.backend}: {exc}", file=sys.stderr)
        return 3
    from convsuite.conformance.harness import supervised  # the cases run in a child that can die

    runs, deaths = supervised.run_paths(backend, sys.executable, raw_cases)
    results.write(args.out, backend.name, versions=backend.versions(), case_files=case_files, runs=runs)
    counts = ", ".join(f"{len(r)} {path}" for path, r in [("fast", runs["results"]), *runs["paths"].items()])
    print(f"[{args.backend}] wrote {args.out}: results of {counts} cases")
    for death in deaths:
        print(f"[{args.backend}] WORKER DIED: {death}", file=sys.stderr)
    return 0


def _compare(args):
    documents = results.read_all(args.results)
    outcome = compare.compare(documents, cases.load(args.cases or cases.builtin_files()))
    if args.json:  # the outcome as data, and nothing else on stdout
        print(json.dumps(table.as_json(outcome), indent=1))
    else:
        color = args.color == "always" or (args.color == "auto" and sys.stdout.isatty())
        print(table.format_outcome(outcome, color=color, verbose=args.verbose, matrix=args.matrix))
    if outcome.failures:
        return 1
    if outcome.skipped and not args.allow_skipped:
        print("a skipped backend is not a pass (use --allow-skipped to accept it)",
              file=sys.stderr if args.json else sys.stdout)
        return 1
    return 0


def _report(args):
    from convsuite.conformance.report import cli as report  # needs matplotlib: only the report environment has it

    return report.main(args)


def _port(args):
    from convsuite.conformance.porting import cli as porting

    return porting.main(args)


def _coverage(args):
    from convsuite.conformance.harness import coverage

    parsed = coverage.parsed_cases()
    text = coverage.markdown(parsed=parsed)
    if args.write:
        pathlib.Path(args.write).write_text(text, newline="\n")
        print(f"wrote {args.write}")
    else:
        print(text, end="")
    missing = coverage.gaps(parsed=parsed)
    for cell in missing:
        print(f"no built-in case reaches {cell}", file=sys.stderr)
    return 1 if missing else 0


def _serve(args):
    from convsuite.conformance.harness.serve import serve

    return serve(args.backend)


def _bench(args):
    from convsuite.conformance.bench import run as bench

    return bench.main(args)


def _fuzz(args):
    from convsuite.conformance.fuzz import run as fuzz  # needs Hypothesis: only the fuzzing environment has it

    return fuzz.main(args)


# The fuzz command's argument types: a bad value is a usage error at once, not a traceback
# after minutes of fuzzing (the tolerance check runs first, the failure file is written last).


def _at_least(low):
    """An argparse type: an integer no smaller than `low`."""
    def parse(text):
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not an integer: {text!r}") from None
        if value < low:
            raise argparse.ArgumentTypeError(f"must be {low} or more, got {value}")
        return value
    parse.__name__ = f"integer >= {low}"
    return parse


def _backend_python(text):
    """NAME=PYTHON: a registered backend and a Python that exists (the text, as given)."""
    name, sep, python = text.partition("=")
    if not sep or not name or not python:
        raise argparse.ArgumentTypeError(f"{text!r} is not NAME=PYTHON (for example numpy=.venv/bin/python)")
    if name not in backends.names():
        raise argparse.ArgumentTypeError(f"{name!r} is not a backend; backends: {', '.join(backends.names())}")
    if shutil.which(python) is None:
        raise argparse.ArgumentTypeError(f"{python!r}: no such Python (not an executable file, nor on PATH)")
    return text


def _writable_file(text):
    """A file that can be written: its nearest existing folder is a folder this user may
    write in, and the file itself is not a folder."""
    path = pathlib.Path(text)
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{text!r} is a folder, not a file")
    folder = next(p for p in path.absolute().parents if p.exists())
    if not folder.is_dir() or not os.access(folder, os.W_OK | os.X_OK):
        raise argparse.ArgumentTypeError(f"{text!r}: cannot write there ({folder} is not a folder this user may "
                                         "write in)")
    return text


def _case_files_option(parser):
    # One file per --cases, repeated: a list option would swallow the positional results.
    parser.add_argument("--cases", action="append", metavar="FILE",
                        help="a case file (repeat for more; default: all of spec/cases)")


def main(argv=None):
    parser = argparse.ArgumentParser(prog="python -m conformance", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="run cases through one backend, write results")
    run.add_argument("--backend", required=True, choices=backends.names())
    _case_files_option(run)
    run.add_argument("--out", required=True, help="results file to write")
    run.set_defaults(handler=_run)
    check = commands.add_parser("compare", help="compare results files, print the disagreements and counts")
    check.add_argument("results", nargs="+", help="results files written by 'run'")
    _case_files_option(check)
    check.add_argument("--allow-skipped", action="store_true",
                       help="exit 0 when the only problem is a skipped backend")
    check.add_argument("--color", choices=("auto", "always", "never"), default="auto",
                       help="color the table (auto: when printing to a terminal)")
    check.add_argument("--verbose", action="store_true",
                       help="every disagreement in full, and why each documented difference is not a bug")
    check.add_argument("--matrix", action="store_true",
                       help="also print the whole case x backend:path matrix (wider than 120 columns)")
    check.add_argument("--json", action="store_true",
                       help="print the outcome as JSON on stdout (counts per backend and path, disagreements "
                            "worst first, documented differences, skipped backends), nothing else")
    check.set_defaults(handler=_compare)
    worker = commands.add_parser("serve", help="answer case batches on stdin (a fuzz worker)")
    worker.add_argument("--backend", required=True, choices=backends.names())
    worker.set_defaults(handler=_serve)
    fuzzer = commands.add_parser("fuzz", help="generate cases, run every backend, compare, shrink")
    fuzzer.add_argument("--python", action="append", required=True, metavar="NAME=PYTHON", type=_backend_python,
                        help="a backend and the Python of its environment (repeat per backend)")
    fuzzer.add_argument("--examples", type=_at_least(1), default=300, help="generated cases (default 300)")
    fuzzer.add_argument("--seed", type=_at_least(0), default=0, help="Hypothesis seed (default 0)")
    fuzzer.add_argument("--compiling-every", type=_at_least(1), default=8, metavar="K",
                        help="run the compiled paths, and backends whose every path compiles per shape, "
                             "on one case in K (default 8; 1: every case)")
    fuzzer.add_argument("--tolerance-cases", type=_at_least(1), default=10000,
                        help="cases for the tolerance-policy check (default 10000)")
    fuzzer.add_argument("--out", default="fuzz/failure.json", type=_writable_file,
                        help="where the smallest failing case goes (a case file)")
    fuzzer.set_defaults(handler=_fuzz)
    page = commands.add_parser("report", help="write the comparison as HTML and Markdown, with plots")
    page.add_argument("results", nargs="*", help="results files written by 'run'")
    page.add_argument("--bench", metavar="BENCH.json",
                      help="also chart this benchmark (written by 'bench'); alone, the page is only that")
    page.add_argument("--tabs", metavar="TABS.json",
                      help="also show a chapter's tabs, steps down and tabs across (written by 'tabs --out'); "
                      "alone, the page is only that")
    _case_files_option(page)
    page.add_argument("--out", default="report", help="folder to write (default: report/)")
    page.set_defaults(handler=_report)
    port = commands.add_parser("port", help="print one topic's code in two backends, side by side")
    port.add_argument("topic", nargs="?", help="what to show (see --list)")
    port.add_argument("--list", action="store_true", help="list the topics")
    port.add_argument("--write", metavar="FILE", help="write the whole porting guide to FILE")
    port.add_argument("--from", dest="source", help="the backend you port from")
    port.add_argument("--to", dest="target", help="the backend you port to")
    port.set_defaults(handler=_port)
    covered = commands.add_parser("coverage", help="the table of which features the built-in cases "
                                  "carry to which path; exit 1 naming each uncovered cell")
    covered.add_argument("--write", metavar="FILE", help="write the table (Markdown) to FILE instead")
    covered.set_defaults(handler=_coverage)
    timing = commands.add_parser("bench", help="time every corr2d path and the learning loop, "
                                 "one framework process after another")
    from convsuite.conformance.bench.run import add_arguments

    add_arguments(timing)
    timing.set_defaults(handler=_bench)
    from convsuite.conformance.check.cli import add_command as add_check  # python -m conformance check

    add_check(commands)
    from convsuite.conformance.tabs.cli import add_command as add_tabs  # python -m conformance tabs

    add_tabs(commands)
    args = parser.parse_args(argv)
    try:
        return args.handler(args)
    except BrokenPipeError:  # an OSError, but no input's: entry() decides whose pipe it was
        raise
    except INPUT_ERRORS as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def _stdout_closed():
    """Whether our stdout is a pipe that nobody reads any more: poll marks the writing end
    of such a pipe with an error."""
    try:
        fd = sys.stdout.fileno()
    except (AttributeError, OSError, ValueError):
        return False
    poller = select.poll()
    poller.register(fd, select.POLLOUT)
    return any(events & (select.POLLERR | select.POLLHUP) for _, events in poller.poll(0))


def entry():
    try:
        status = main()
        sys.stdout.flush()  # here, not at exit: a closed stdout is then seen below
        return status
    except BrokenPipeError:
        if not _stdout_closed():  # a worker's pipe, or any other: a failure, never a pass
            raise
        # `python -m conformance port --list | head -1`: the reader left early, which is fine.
        # Point stdout at nothing so that the flush at exit does not fail again.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
