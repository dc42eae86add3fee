"""check in GitHub Actions: the steps of the repository's action (action.yml), as functions.

    python -m convsuite.conformance.check.github SUMMARY.json [--missing-ok]
        the verdict table appended to $GITHUB_STEP_SUMMARY, one `::error` annotation per
        failure (on the failing function's definition, or the failing cell or line), and
        `summary=PATH` and `verdict=PASS|FAIL|ERROR` appended to $GITHUB_OUTPUT (each printed
        instead where its variable is unset)
    python -m convsuite.conformance.check.github check
        `convsuite check` with the action's inputs (INPUT_TARGETS, INPUT_BACKEND, INPUT_INSTALL,
        INPUT_SHARD, INPUT_REQUIRE, INPUT_FAIL_ON_VERDICT), its output fenced off from the
        runner's workflow commands, its summary in a fresh folder under $RUNNER_TEMP
    python -m convsuite.conformance.check.github cache-key ACTION_FOLDER
        `hash=...` of the action's requirements files and this Python, for actions/cache
    python -m convsuite.conformance.check.github sandbox
        bubblewrap installed and user namespaces allowed (Ubuntu 24.04 runners), where sudo can

Every string in a summary is hostile: a learner names the files, the functions and the
exceptions' messages. The check's own output (it prints file names) runs under
`::stop-commands::` with a token nobody else sees, so that no line of it is a workflow command;
an annotation's message and properties are escaped by GitHub's rules (@actions/core's
command.ts: % \\r \\n in both, : and , in properties as well), so that one is always one line
that carries only its own properties; a table cell is one line, its Markdown punctuation
escaped. The output `summary` is the summary file's path, never its text (a class's summary
holds every case and 2 kB of each target's output: too big for an output).
"""

import hashlib
import json
import os
import pathlib
import platform
import re
import secrets
import shlex
import shutil
import subprocess
import sys
import tempfile

from convsuite.conformance.check.child.sources import kind_of

PASS, FAIL, ERROR = "PASS", "FAIL", "ERROR"
MAX_ANNOTATIONS = 10  # GitHub shows 10 error annotations of a step, 50 of a job; the rest are dropped
MAX_CELL = 300  # characters of a table cell, before escaping
MAX_MESSAGE = 2000  # characters of an annotation's message
MAX_SUMMARY = 900_000  # bytes of the job summary (GitHub refuses a step's over 1 MiB)
MAX_READ = 5 << 20  # bytes of a target read to find a definition's line
MARKDOWN_SPECIALS = re.compile(r"([\\`*_\[\]<>&|~!$#])")


# Escaping -----------------------------------------------------------------------------------

# Line breaks other than \r and \n (str.splitlines' others): the runner splits no line there,
# a log viewer might; they become spaces.
OTHER_BREAKS = re.compile("[\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")


def escape_data(text):
    """An annotation's message, by @actions/core's escapeData: one line whatever it holds."""
    text = str(text).replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
    return OTHER_BREAKS.sub(" ", text)


def escape_property(text):
    """A property's value (file=, title=), by @actions/core's escapeProperty."""
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def one_line(text):
    """Every run of whitespace (line breaks of any kind: \\r, \\n, \\u2028, \\x85, ...) one space."""
    return " ".join(str(text).split())


def markdown_cell(text, limit=MAX_CELL):
    """A Markdown table cell that shows `text` as text: one line, at most `limit` characters of
    it, its Markdown and HTML punctuation (the cell's | among it) backslash-escaped."""
    text = one_line(text)
    text = text if len(text) <= limit else text[: limit - 3] + "..."
    return MARKDOWN_SPECIALS.sub(r"\\\1", text)


def command(name, message, **properties):
    """One workflow command line, `::name prop=value,...::message`, everything escaped."""
    props = ",".join(f"{key}={escape_property(value)}" for key, value in properties.items() if value is not None)
    message = str(message)
    message = message if len(message) <= MAX_MESSAGE else message[: MAX_MESSAGE - 3] + "..."
    return f"::{name}{' ' + props if props else ''}::{escape_data(message)}"


def output_lines(name, value):
    """`name=value` for $GITHUB_OUTPUT, or its multi-line form with a delimiter the value lacks."""
    value = str(value)
    if "\n" not in value and "\r" not in value:
        return f"{name}={value}\n"
    delimiter = f"ghadelimiter_{secrets.token_hex(16)}"
    return f"{name}<<{delimiter}\n{value}\n{delimiter}\n"


# Reading a summary --------------------------------------------------------------------------

def load(path):
    """The records of a summary file; ValueError for anything else."""
    try:
        document = json.loads(pathlib.Path(path).read_text())
        records = document["targets"]
        if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
            raise TypeError("targets is not a list of records")
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ValueError(f"{path}: not a check summary file ({exc})") from exc
    return document, records


def verdict(records):
    statuses = {r.get("status") for r in records}
    return ERROR if ERROR in statuses else FAIL if FAIL in statuses else PASS


def target_path(label):
    """The file of a target label: FILE.py:NAME -> FILE.py (check's own rule)."""
    head, sep, tail = str(label).rpartition(":")
    return head if sep and tail.isidentifier() and kind_of(head) else str(label)


def _subjects(rec):
    return [s for s in rec.get("subjects") or [] if isinstance(s, dict)]


# (a) The job summary ------------------------------------------------------------------------

def _checked(rec):
    return "; ".join(f"{s.get('name')} {s.get('passed')}/{s.get('applicable')}" if s.get("applicable")
                     else f"{s.get('name')} not checked" for s in _subjects(rec))


def _first_failure(rec):
    if rec.get("error"):
        return str(rec["error"])
    for subject in _subjects(rec):
        first = subject.get("first_failure")
        if isinstance(first, dict):
            hint = f" (hint: {first['hint']})" if first.get("hint") else ""
            return f"{subject.get('name')}, {first.get('case')}: {first.get('detail')}{hint}"
    problems = [str(p) for p in rec.get("problems") or []]
    if problems:
        return "; ".join(problems)
    if rec.get("nothing_to_check"):
        return "nothing to check: no function or class with a lesson name"
    if rec.get("nothing_checked"):
        return "nothing checked: no case applies to its functions"
    return ""


def job_summary(records, title="convsuite check", dropped=0):
    """The verdict table in Markdown: counts, then a row per target."""
    counts = {}
    for rec in records:
        counts[str(rec.get("status"))] = counts.get(str(rec.get("status")), 0) + 1
    backends = sorted({str(rec.get("backend")) for rec in records})
    head = f"## {markdown_cell(title)}" + (f" ({markdown_cell(', '.join(backends))})" if backends else "")
    lines = [head, "", markdown_cell(", ".join(f"{n} {s}" for s, n in sorted(counts.items())) or "no targets"), "",
             "| target | framework | verdict | checked | first failure |", "| --- | --- | --- | --- | --- |"]
    size = sum(len(line) + 1 for line in lines)
    for index, rec in enumerate(records):
        row = (f"| {markdown_cell(rec.get('target'))} | {markdown_cell(rec.get('backend'))} | "
               f"{markdown_cell(rec.get('status'))} | {markdown_cell(_checked(rec))} | "
               f"{markdown_cell(_first_failure(rec))} |")
        size += len(row.encode()) + 1
        if size > MAX_SUMMARY:
            lines += ["", f"{len(records) - index} more target(s) left out: a job summary holds 1 MiB; "
                          "the summary file has them all."]
            break
        lines.append(row)
    if dropped:
        lines += ["", f"{dropped} more failure(s) not annotated: GitHub shows {MAX_ANNOTATIONS} error annotations "
                      "of a step; the table and the summary file have them all."]
    return "\n".join(lines) + "\n"


# (b) The annotations ------------------------------------------------------------------------

def _read_lines(path):
    """The target's lines, where it is a regular file (never through a link), else None."""
    try:
        if os.path.islink(path) or not os.path.isfile(path):
            return None
        with open(path, "rb") as handle:
            return handle.read(MAX_READ).decode("utf-8", "replace").splitlines()
    except OSError:
        return None


TAB_MARK = re.compile(r"^\s*(?:#\s*@tab|%%tab)\s+(.*?)\s*$")


def _chapter_tabs(lines, index):
    """The tabs marked on the code cell around lines[index] of a d2l chapter (None: unmarked)."""
    for i in range(index, -1, -1):
        if lines[i].lstrip().startswith("```"):
            for line in lines[i + 1: index + 1]:
                mark = TAB_MARK.match(line)
                if mark:
                    return [t.strip().lower() for t in mark[1].split(",")]
            return None
    return None


def definition_line(path, name, tab=None):
    """The line of the last `def NAME` / `class NAME` in the file (the one that ran: a later
    definition replaces an earlier one), in a notebook's JSON text too, and in a chapter, in
    the cells of `tab`; None where there is none."""
    lines = _read_lines(path)
    if lines is None or not str(name).isidentifier():
        return None
    pattern = re.compile(rf'^[\s"]*(?:async\s+def|def|class)\s+{re.escape(name)}\b')
    found = [i for i, line in enumerate(lines) if pattern.match(line)]
    if tab and kind_of(path) == "chapter" and found:
        tabs = {i: _chapter_tabs(lines, i) for i in found}
        found = ([i for i in found if tabs[i] and (tab in tabs[i] or "all" in tabs[i])]
                 or [i for i in found if tabs[i] is None] or found)
    return found[-1] + 1 if found else None


def _notebook_cell_lines(lines):
    """{cell number: the line of the notebook's JSON text where its source begins}: each
    cell's first source line, found in order in the text (nbformat writes one per line)."""
    try:
        cells = json.loads("\n".join(lines))["cells"]
    except (ValueError, KeyError, TypeError):
        return {}
    starts, at = {}, 0
    for number, cell in enumerate(cells, 1):
        source = cell.get("source", "") if isinstance(cell, dict) else ""
        source = "".join(source) if isinstance(source, list) else str(source)
        first = source.splitlines(keepends=True)[:1]
        if not first:
            continue
        needle = json.dumps(first[0])[:-1]  # "text\n  without the closing quote: the JSON string's start
        for i in range(at, len(lines)):
            if lines[i].lstrip().startswith(needle):
                starts[number], at = i + 1, i + 1
                break
    return starts


WHERE_LINE = re.compile(r"^line (\d+) of ")
WHERE_CELL = re.compile(r"^cell (\d+)(?: \(In \[\d*\]\))?(?:, line (\d+))?")
AT_WHERE = re.compile(r"\bat (line \d+ of .*|cell \d+.*)$")


def problem_line(path, problem):
    """The file line a problem names: "line 4 of x.py ..." (a .py file's, a chapter's); "cell 3,
    line 2 ..." (a notebook's cell: its line in the notebook's JSON text); None if none."""
    text = str(problem)
    at = AT_WHERE.search(text)
    for where in (text, at[1] if at else ""):
        match = WHERE_LINE.match(where)
        if match:
            return int(match[1])
        match = WHERE_CELL.match(where)
        if match and kind_of(path) == "notebook":
            lines = _read_lines(path)
            start = _notebook_cell_lines(lines).get(int(match[1])) if lines else None
            if start and match[2]:
                line = start + int(match[2]) - 1
                return line if line <= len(lines) else start
            return start
    return None


def workspace_path(path, workspace=None):
    """The path as GitHub places annotations: relative to the workspace where it is inside it."""
    workspace = os.path.abspath(workspace or os.environ.get("GITHUB_WORKSPACE") or os.getcwd())
    relative = os.path.relpath(os.path.normpath(os.path.join(workspace, path)), workspace)
    return str(path) if relative == ".." or relative.startswith("../") else pathlib.PurePath(relative).as_posix()


def findings(rec):
    """(line or None, title, message) of each failure of a failing target."""
    if rec.get("status") == PASS:
        return []
    backend, path = rec.get("backend"), target_path(rec.get("target"))
    title = f"convsuite check ({backend})"
    if rec.get("status") == ERROR or rec.get("error"):
        return [(None, title, f"{rec.get('target')}: {rec.get('error')}")]
    found = []
    for subject in _subjects(rec):
        first = subject.get("first_failure")
        if not isinstance(first, dict):
            continue
        name = str(subject.get("name"))
        message = (f"{name}: {subject.get('passed')} of {subject.get('applicable')} applicable cases pass; "
                   f"first failure: {first.get('case')} ({first.get('inputs')}): {first.get('detail')}")
        message += f"; hint: {first['hint']}" if first.get("hint") else ""
        found.append((definition_line(path, name, rec.get("tab")), f"{title}: {name}", message))
    for problem in rec.get("problems") or []:
        found.append((problem_line(path, problem), title, str(problem)))
    if not found:
        found.append((None, title, f"{rec.get('target')}: {_first_failure(rec) or rec.get('status')}"))
    return found


def annotations(records, workspace=None, limit=MAX_ANNOTATIONS):
    """(lines, dropped): an `::error file=...,line=...,title=...::message` line per failure (line
    1 where none is known), at most `limit`; how many more there were."""
    lines = []
    for rec in records:
        file = workspace_path(target_path(rec.get("target")), workspace)
        for line, title, message in findings(rec):
            lines.append(command("error", message, file=file, line=line or 1, title=title))
    return lines[:limit], max(0, len(lines) - limit)


# The steps ----------------------------------------------------------------------------------

def _append(variable, text):
    """Append to the file $variable names; print where it is unset (outside Actions)."""
    target = os.environ.get(variable)
    if target:
        with open(target, "a", encoding="utf-8") as handle:
            handle.write(text)
    else:
        sys.stdout.write(text)


def report(path, missing_ok=False, workspace=None):
    """The step after check: job summary, annotations, outputs. Exit status 0, or 2 for a
    summary that cannot be read (0 with missing_ok where there is no file: check has said why)."""
    if missing_ok and not pathlib.Path(path).exists():
        print(f"convsuite: no summary at {path}: check wrote none (its log says why)")
        return 0
    try:
        document, records = load(path)
    except ValueError as exc:
        print(command("error", str(exc), title="convsuite check"))
        return 2
    lines, dropped = annotations(records, workspace)
    for line in lines:
        print(line)
    shard = document.get("shard")
    title = "convsuite check" + (f", shard {shard[0]} of {shard[1]}" if isinstance(shard, list) and len(shard) == 2
                                 else "")
    _append("GITHUB_STEP_SUMMARY", job_summary(records, title, dropped))
    _append("GITHUB_OUTPUT", output_lines("summary", pathlib.Path(path).resolve()) +
            output_lines("verdict", verdict(records)))
    return 0


def _words(variable):
    return shlex.split(os.environ.get(variable, ""))


def check_arguments(folder):
    """(check's command line, the summary file it will write) from the action's inputs."""
    from convsuite.conformance.check import targets

    backend = os.environ.get("INPUT_BACKEND", "").strip()
    arguments = ["check", *_words("INPUT_TARGETS"), "--backend", backend]
    for package in _words("INPUT_INSTALL"):
        arguments += ["--install", package]
    shard = os.environ.get("INPUT_SHARD", "").strip()
    name = "summary.json"
    if shard:
        arguments += ["--shard", shard]
        try:
            name = "summary-{}-of-{}.json".format(*targets.parse_shard(shard))
        except ValueError:
            pass  # check says so, exit 2
    required = ",".join(part for word in _words("INPUT_REQUIRE") for part in word.split(",") if part)
    if required:
        arguments += ["--require", required]
    return arguments + ["--summary", str(folder)], pathlib.Path(folder) / name


def run_check(launch=None):
    """check with the action's inputs; its summary's path in the output `summary` first, so that
    the report step finds it whatever check's verdict. Exit status: check's; 0 for a verdict
    when INPUT_FAIL_ON_VERDICT is false (a summary was written), never for a usage error."""
    if launch is None:
        from convsuite.conformance.launcher.main import main as launch
    parent = os.environ.get("RUNNER_TEMP") or None
    folder = pathlib.Path(tempfile.mkdtemp(prefix="convsuite-check-", dir=parent))
    arguments, summary_file = check_arguments(folder)
    _append("GITHUB_OUTPUT", output_lines("summary", summary_file))
    token = secrets.token_hex(16)
    # What check prints names the learners' files (a file name may hold a line break and
    # `::error ...`): while it runs, the runner takes no workflow command from this step.
    print(f"::stop-commands::{token}", flush=True)
    try:
        print(f"convsuite {shlex.join(arguments)}", flush=True)
        status = launch(arguments)
    finally:
        sys.stdout.flush()
        sys.stderr.flush()
        print(f"::{token}::", flush=True)
    lenient = os.environ.get("INPUT_FAIL_ON_VERDICT", "true").strip().lower() in ("false", "no", "0", "off")
    if lenient and status != 0 and summary_file.exists():
        print(f"convsuite: check exited {status}; fail-on-verdict is false, so this step passes")
        return 0
    return status


def cache_key(folder):
    """A digest of the action's requirements (requirements/*.txt and each backend's
    backends/NAME/requirements*.txt: what the environments hold) and of this Python (the
    environments link to it): the key of the environments' cache."""
    digest = hashlib.sha256(f"{sys.version}\n{sys.base_prefix}\n{platform.machine()}\n".encode())
    folder = pathlib.Path(folder)
    for path in sorted([*folder.glob("requirements/*.txt"), *folder.glob("backends/*/requirements*.txt")]):
        digest.update(path.relative_to(folder).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()[:20]


USERNS = pathlib.Path("/proc/sys/kernel/apparmor_restrict_unprivileged_userns")


def prepare_sandbox(run=subprocess.run):
    """bubblewrap installed and user namespaces allowed, where this user is root or has
    password-less sudo (GitHub's runners); otherwise a note, and check says what is missing."""
    if not sys.platform.startswith("linux"):
        print("convsuite: check's sandbox (bubblewrap) needs Linux: use a Linux runner")
        return 0
    sudo = [] if os.geteuid() == 0 else ["sudo", "-n"] if shutil.which("sudo") else None
    if sudo is None:
        print("convsuite: neither root nor sudo here: bubblewrap and user namespaces are left as they are")
        return 0
    if not shutil.which("bwrap"):
        print("convsuite: installing bubblewrap (check runs every target in its sandbox)", flush=True)
        run([*sudo, "apt-get", "update", "-qq"], check=False)
        run([*sudo, "env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "install", "-y", "-qq", "bubblewrap"],
            check=False)
    try:
        restricted = USERNS.read_text().strip() == "1"
    except OSError:
        restricted = False
    if restricted:
        print("convsuite: allowing unprivileged user namespaces (Ubuntu 24.04 restricts them; bubblewrap needs them)",
              flush=True)
        run([*sudo, "sysctl", "-q", "-w", "kernel.apparmor_restrict_unprivileged_userns=0"], check=False)
    return 0


USAGE = __doc__.split("\n\n")[1]


def main(argv=None):
    argv = list(sys.argv[1:] if argv is None else argv)
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="backslashreplace")  # a learner's file name is any text
    if not argv or argv[0] in ("-h", "--help"):
        print(USAGE)
        return 0 if argv else 2
    if argv[0] == "check" and len(argv) == 1:
        return run_check()
    if argv[0] == "cache-key" and len(argv) == 2:
        _append("GITHUB_OUTPUT", output_lines("hash", cache_key(argv[1])))
        return 0
    if argv[0] == "sandbox" and len(argv) == 1:
        return prepare_sandbox()
    if len(argv) in (1, 2) and argv[1:] in ([], ["--missing-ok"]) and not argv[0].startswith("-"):
        return report(argv[0], missing_ok=len(argv) == 2)
    print(USAGE, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
