"""convsuite COMMAND ...: python -m conformance's commands, each in the pinned environment
it needs, built on first use in the user's cache folder and kept (`convsuite env list`).

    convsuite check chapter.md --backend torch     check's verdict on your code, in torch's environment
    convsuite run --backend jax --out results/jax.json
    convsuite compare results/*.json               (also: report, port, fuzz, bench)
    convsuite matrix                               the main job: every backend, compared, report/ written
    convsuite tabs chapter.md                      a chapter's framework tabs, each in its environment, compared
    convsuite env list | build NAME... | path NAME | remove NAME...
    convsuite --version

Run from any folder: paths are the caller's. Exit codes are the command's own (see
`convsuite COMMAND --help`); 2 also for a usage error here, 1 for an environment that could
not be built.
"""

import sys

import convsuite
from convsuite import backends
from convsuite.conformance.environments import build, cli as env_cli, run, specs
from convsuite.conformance.launcher import matrix

# Commands that run where their backend's framework is; the rest in these environments.
BACKEND_COMMANDS = ("run", "check")
# `tabs` starts each tab's child in that tab's backend environment itself (conformance/tabs/runner.py).
TOOL_ENVIRONMENT = {"compare": "numpy", "port": "numpy", "fuzz": "numpy", "report": "report", "bench": "bench",
                    "tabs": "numpy"}
WORKER_COMMANDS = ("fuzz", "bench")  # given every backend's Python unless the caller names some


class UsageError(ValueError):
    """A command line this launcher cannot route: one line, exit 2."""


def _backend_of(arguments):
    for i, argument in enumerate(arguments):
        if argument.startswith("--backend="):
            return argument.split("=", 1)[1]
        if argument == "--backend" and i + 1 < len(arguments):
            return arguments[i + 1]
    return None


def environment_for(command, arguments):
    """The environment COMMAND runs in: its backend's (numpy's when none is named yet, as for
    --help or check --merge) or its tool's."""
    if command in BACKEND_COMMANDS:
        name = _backend_of(arguments) or "numpy"
        if name not in backends.names():
            raise UsageError(f"convsuite {command}: unknown backend {name!r}; backends: {', '.join(backends.names())}")
        return specs.spec(name)
    return specs.spec(TOOL_ENVIRONMENT[command])


def _workers(arguments):
    if any(a == "--python" or a.startswith("--python=") for a in arguments) or "-h" in arguments or "--help" in arguments:
        return []
    envs = matrix.main_environments()
    return [f"--python={env.name}={python}" for env, python in zip(envs, build.ensure_all(envs))]


def main(argv=None):
    arguments = list(sys.argv[1:] if argv is None else argv)
    if not arguments or arguments[0] in ("-h", "--help"):
        print(__doc__.strip())
        return 0 if arguments else 2
    command, rest = arguments[0], arguments[1:]
    if command in ("-V", "--version"):
        print(f"convsuite {convsuite.__version__}")
        return 0
    try:
        if command == "env":
            return env_cli.main(rest)
        if command == "matrix":
            return matrix.matrix()
        if command not in (*BACKEND_COMMANDS, *TOOL_ENVIRONMENT):
            raise UsageError(f"convsuite: unknown command {command!r}; commands: "
                             f"{', '.join((*BACKEND_COMMANDS, *TOOL_ENVIRONMENT, 'matrix', 'env'))}")
        env = environment_for(command, rest)
        extra = _workers(rest) if command in WORKER_COMMANDS else []
        return run.conformance(env, [command, *extra, *rest]).returncode
    except UsageError as exc:
        print(exc, file=sys.stderr)
        return 2
    except build.BuildError as exc:
        print(f"convsuite: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
