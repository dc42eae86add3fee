"""Which environments exist, what each holds, and where a build of one lives."""

import dataclasses
import hashlib
import os
import pathlib

import convsuite
from convsuite import backends

# check's own tools, installed --no-deps into every backend's environment: they change none of
# its pins (tests/check/test_check_tools.py), and the backend's tests and `check` share it.
CHECK_TOOLS = "requirements/check.txt"
# Environments of the suite's own tools, beside the backends' (name: requirements files).
TOOL_ENVIRONMENTS = {
    "report": ("requirements/report.txt",),  # the NumPy backend's pins plus matplotlib
    "bench": ("requirements/report.txt", "requirements/peers.txt"),  # + OpenCV and SciPy, the peers timed
    "project": ("requirements/project.txt",),  # the repository's own checks (actionlint, the wheel)
    "mutants": ("requirements/mutants.txt",),  # cosmic-ray, for nox -s mutants (conformance/mutants)
}
TOOLS_PYTHON = "3.11"


@dataclasses.dataclass(frozen=True)
class EnvironmentSpec:
    """One environment: installed from `requirements` (with dependencies), then `tools`
    (without); `variables` are set for every command run in it."""

    name: str
    python: str
    requirements: tuple
    tools: tuple = ()
    variables: tuple = ()  # (name, value) pairs: a frozen dataclass keeps no dict

    def files(self):
        return [convsuite.resource(path) for path in (*self.requirements, *self.tools)]

    @property
    def key(self):
        """A digest of what the build holds: its Python and its requirements' text."""
        digest = hashlib.sha256(self.python.encode())
        for path in self.files():
            digest.update(path.read_bytes())
        return digest.hexdigest()[:12]

    def environ(self):
        """The caller's environment, with this one's variables where the caller sets none."""
        return {**dict(self.variables), **os.environ}


def all_specs():
    """Every environment by name: each backend's (main, then variants), then the tools'."""
    found = {}
    for declaration in backends.declarations():
        for env in declaration.environments:
            found[env.session] = EnvironmentSpec(env.session, env.python, (env.requirements,), (CHECK_TOOLS,),
                                                  tuple(sorted(declaration.environment.items())))
    for name, files in TOOL_ENVIRONMENTS.items():
        found[name] = EnvironmentSpec(name, TOOLS_PYTHON, files)
    return found


def spec(name):
    specs = all_specs()
    if name not in specs:
        raise KeyError(f"no environment {name!r}; environments: {', '.join(specs)}")
    return specs[name]


def cache_root():
    """The user's cache folder for convsuite (platformdirs; XDG_CACHE_HOME moves it)."""
    import platformdirs

    return pathlib.Path(platformdirs.user_cache_dir("convsuite", appauthor=False))


def location(env):
    return cache_root() / "environments" / f"{env.name}-{env.key}"


def python_of(folder):
    return pathlib.Path(folder) / "bin" / "python"
