"""The main job: every backend's cases, each in its pinned environment, side by side; the
report written; the results compared (its exit code is the job's)."""

import concurrent.futures
import os
import shlex
import subprocess
import time

from convsuite import backends
from convsuite.conformance.environments import build, run, specs


def main_environments():
    return [specs.spec(env.session) for env in backends.environments() if env.default]


def run_side_by_side(commands, say=print):
    """Run commands as many at a time as there are cores (each a process of its own, most of
    whose time is Python and compiling, not arithmetic); print each one's output when it
    ends; return the commands that failed. A command is (argv, environ), or a function that
    returns one when its turn comes (its environment may still be building)."""
    def execute(command):
        argv, environ = command() if callable(command) else command
        started = time.monotonic()
        return argv, subprocess.run(argv, capture_output=True, text=True, env=environ), time.monotonic() - started

    failed = []
    with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        for argv, done, seconds in pool.map(execute, commands):
            say(f"{shlex.join(argv[3:])} (exit {done.returncode}, {seconds:.0f} s)")
            print(done.stdout + done.stderr[-4000:], end="", flush=True)
            if done.returncode:
                failed.append(shlex.join(argv[3:]))
    return failed


def matrix(results="results", report="report", say=print):
    """0 when every backend agrees, 1 otherwise; results/NAME.json and report/ written.
    Every environment builds at once; each backend's cases start as soon as its environment
    is ready and a core is free."""
    envs, report_env = main_environments(), specs.spec("report")
    files = [os.path.join(results, f"{env.name}.json") for env in envs]
    with concurrent.futures.ThreadPoolExecutor(max_workers=len(envs) + 1) as builders:
        pythons = {env.name: builders.submit(build.ensure, env) for env in [*envs, report_env]}

        def command(env, out):
            return lambda: ([str(pythons[env.name].result()), "-m", "convsuite.conformance", "run", "--backend",
                             env.name, "--out", out], run.environ(env))

        failed = run_side_by_side([command(env, out) for env, out in zip(envs, files)], say)
        pythons[report_env.name].result()
    if failed:
        say(f"failed: {'; '.join(failed)}")
        return 1
    # The page matters most when backends disagree: it is written whatever compare decides,
    # while compare runs beside it.
    page = run.start(report_env, ["report", *files, "--out", report])
    code = run.conformance(report_env, ["compare", *files]).returncode
    out, err = page.communicate()
    print(out + err[-4000:], end="", flush=True)
    return code if page.returncode in (0, 1) else 1
