"""The main job: every backend's cases, each in its pinned environment, side by side; the
report written; the results compared (its exit code is the job's)."""

import concurrent.futures
import os
import shlex
import subprocess

from convsuite import backends
from convsuite.conformance.environments import build, run, specs


def main_environments():
    return [specs.spec(env.session) for env in backends.environments() if env.default]


def run_side_by_side(commands, say=print):
    """Run (argv, environ) commands as many at a time as there are cores (each a process of
    its own, most of whose time is Python and compiling, not arithmetic); print each one's
    output when it ends; return the commands that failed."""
    def execute(command):
        argv, environ = command
        return argv, subprocess.run(argv, capture_output=True, text=True, env=environ)

    failed = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        for argv, done in pool.map(execute, commands):
            say(f"{shlex.join(argv[3:])} (exit {done.returncode})")
            print(done.stdout + done.stderr[-4000:], end="", flush=True)
            if done.returncode:
                failed.append(shlex.join(argv[3:]))
    return failed


def matrix(results="results", report="report", say=print):
    """0 when every backend agrees, 1 otherwise; results/NAME.json and report/ written."""
    envs = main_environments()
    report_env = specs.spec("report")
    pythons = build.ensure_all([*envs, report_env])
    files = [os.path.join(results, f"{env.name}.json") for env in envs]
    commands = [([str(python), "-m", "convsuite.conformance", "run", "--backend", env.name, "--out", out], run.environ(env))
                for env, python, out in zip(envs, pythons, files)]
    failed = run_side_by_side(commands, say)
    if failed:
        say(f"failed: {'; '.join(failed)}")
        return 1
    # The page matters most when backends disagree: write it first, let compare decide.
    if run.conformance(report_env, ["report", *files, "--out", report]).returncode not in (0, 1):
        return 1
    return run.conformance(report_env, ["compare", *files]).returncode

