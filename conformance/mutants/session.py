"""One backend's mutation session (`nox -s mutants -- NAME [FILE...]`): copy the checkout to a
temporary folder (cosmic-ray writes each mutant into the file itself, and other work goes on
in the checkout), check that the unmutated copy passes the killer, create cosmic-ray's session
of the target files (all the backend's, or the FILEs named), skip what is out of scope or
declared equivalent (`scope`), run every other mutant through the killer, then print the score,
the skipped equivalents and each survivor with its file, line and diff.

Exit 0 when every mutant run was killed, 1 when one survived, 2 for a bad target or a stale
equivalents entry, or a copy that fails the killer unmutated (the score would mean nothing)."""

import json
import os
import pathlib
import shutil
import subprocess
import tempfile
import time

from convsuite.conformance.mutants import equivalents, scope

ROOT = pathlib.Path(__file__).resolve().parents[2]  # the checkout


def copy_checkout(target):
    """The checkout's files as git sees them (tracked and untracked, not ignored) under `target`."""
    listed = subprocess.run(["git", "ls-files", "-z", "-c", "-o", "--exclude-standard"], cwd=ROOT,
                            capture_output=True, check=True).stdout.decode().split("\0")
    for relative in filter(None, listed):
        source = ROOT / relative
        if source.is_file():  # a tracked file deleted in the work tree is not there
            (target / relative).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target / relative)


def config(files, killer, timeout):
    lines = ["[cosmic-ray]", f"module-path = {json.dumps(files)}", f"timeout = {float(timeout)}",
             "excluded-modules = []", f"test-command = {json.dumps(killer)}",
             "[cosmic-ray.distributor]", 'name = "local"']
    return "\n".join(lines) + "\n"


def outcomes(dump):
    """(file, line, operator, verdict, result) per mutant of `cosmic-ray dump`'s lines: verdict is
    killed, survived, equivalent, not sampled, out of scope or pending."""
    for line in dump.splitlines():
        item, result = json.loads(line)
        mutation = item["mutations"][0]
        where = (mutation["module_path"], mutation["start_pos"][0], mutation["operator_name"])
        if result is None:
            yield (*where, "pending", result)
        elif result["worker_outcome"] == "skipped":
            output = result["output"] or ""
            yield (*where, "equivalent" if output.startswith(scope.EQUIVALENT) else output, result)
        else:
            yield (*where, "survived" if result["test_outcome"] == "survived" else "killed", result)


def report(found, say):
    """Print the score per file and in all, the equivalents skipped and every survivor; the
    number of survivors."""
    files = sorted({path for path, *_ in found})
    counted = [row for row in found if row[3] in ("killed", "survived", "equivalent", "pending", scope.NOT_SAMPLED)]
    for path in files:
        mine = [row[3] for row in counted if row[0] == path]
        killed, survived = mine.count("killed"), mine.count("survived")
        say(f"mutants: {path}: {killed}/{killed + survived} killed, {mine.count('equivalent')} equivalent, "
            f"{mine.count(scope.NOT_SAMPLED)} not sampled, {mine.count('pending')} not run")
    for path, line, operator, verdict, result in counted:
        if verdict == "equivalent":
            say(f"mutants: equivalent, skipped: {path}:{line} {operator}: {result['output'][len(scope.EQUIVALENT):]}")
    survivors = [row for row in counted if row[3] == "survived"]
    for path, line, operator, _, result in survivors:
        say(f"mutants: SURVIVED {path}:{line} {operator}\n{result.get('diff') or ''}")
    killed = sum(row[3] == "killed" for row in counted)
    total = killed + len(survivors)
    say(f"mutants: score {killed}/{total}" + (f" = {100 * killed / total:.1f}%" if total else "")
        + f", {len(survivors)} survivor(s) neither killed nor declared equivalent")
    return len(survivors)


def run(backend, files, tool_python, backend_python, variables, say=print, timeout=300):
    started = time.monotonic()
    targets = scope.targets()
    if backend not in targets or backend == "operators":
        say(f"mutants: {scope.TARGETS.name} has no targets for {backend!r}")
        return 2
    files = list(files) or list(targets[backend]["functions"])
    unknown = sorted(set(files) - set(targets[backend]["functions"]))
    if unknown:
        say(f"mutants: {scope.TARGETS.name}: {backend} mutates no {', '.join(unknown)}")
        return 2
    try:
        equivalents.load(ROOT)
    except equivalents.EquivalentsError as error:
        say(f"mutants: {error}")
        return 2
    with tempfile.TemporaryDirectory(prefix="convsuite-mutants-") as folder:
        copy, cosmic_ray = pathlib.Path(folder, "checkout"), str(pathlib.Path(tool_python).parent / "cosmic-ray")
        copy_checkout(copy)
        # The copy's convsuite, and every backend's compile cache (`backends.common.cache_folder`)
        # inside the folder: a mutated kernel never reaches the user's cache.
        env = {**variables, **os.environ, "PYTHONPATH": str(copy), "XDG_CACHE_HOME": str(pathlib.Path(folder, "cache"))}
        killer = f"{backend_python} -m convsuite.conformance.mutants.killer {backend}"
        baseline = subprocess.run(killer.split(), cwd=copy, env=env, capture_output=True, text=True)
        if baseline.returncode:
            say(f"mutants: the unmutated copy fails the killer (exit {baseline.returncode}): "
                f"{(baseline.stdout + baseline.stderr).strip()[-2000:]}")
            return 2
        say(f"mutants: baseline passed in {time.monotonic() - started:.0f} s")
        settings, database = pathlib.Path(folder, "cosmic-ray.toml"), str(pathlib.Path(folder, "session.sqlite"))
        settings.write_text(config(files, killer, timeout))

        def tool(*arguments, **kwargs):
            return subprocess.run(arguments, cwd=copy, env=env, text=True, **kwargs)

        steps = [(cosmic_ray, "init", str(settings), database),
                 (tool_python, "-m", "convsuite.conformance.mutants.scope", database, str(copy), backend),
                 (cosmic_ray, "exec", str(settings), database)]
        for step in steps:
            done = tool(*step, capture_output=True)
            if done.returncode:
                say(f"mutants: `{' '.join(step[1:3])}` failed (exit {done.returncode}): {(done.stderr or done.stdout).strip()[-600:]}")
                return 2
        dump = tool(cosmic_ray, "dump", database, capture_output=True, check=True).stdout
    survivors = report(list(outcomes(dump)), say)
    say(f"mutants: {backend} session took {time.monotonic() - started:.0f} s")
    return 1 if survivors else 0
