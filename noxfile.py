"""One session per backend environment, each pinned, generated from the registry; the matrix.

    nox                 every backend's tests and results, the comparison, a short fuzz
    nox -s matrix       the main job: every backend's results, compared, and the report
    nox -s torch -- -k learn   one backend; arguments after -- go to pytest
    nox -s fuzz -- --examples 2000 --seed 1   generated cases through every backend
    nox -s bench        timings and ratios against the machine's floor (not a default session)

No environment can hold every framework (MXNet 1.9.1 needs NumPy < 1.24, TensorFlow 2.21 a
newer one), so each backend session writes its results file and `matrix` compares the files.
Every session runs in the environments the installed `convsuite` command uses
(`conformance/environments`: built once with uv, in the user's cache folder, keyed by the
pins, several side by side), so nox itself creates none and `-R` is never needed.
The backends, their requirements, Pythons and variant environments come from
`backends/registry.py` and each backend folder's `backend.toml` (read without importing any
framework): a new backend needs no change here.
"""

import pathlib
import sys

import nox

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent))  # the checkout's packages
from convsuite import backends  # noqa: E402
from convsuite.conformance.environments import build, run, specs  # noqa: E402
from convsuite.conformance.launcher import main as launcher, matrix as main_job  # noqa: E402

nox.options.default_venv_backend = "none"  # the environments are convsuite's own
nox.options.error_on_missing_interpreters = True

ENVIRONMENTS = backends.environments()  # every backend's main environment, then the variants
MAIN = [env for env in ENVIRONMENTS if env.default]
nox.options.sessions = [env.session for env in MAIN] + ["matrix", "pages", "fuzz", "porting", "project", "tabs"]
# CI's short fuzz: a few hundred cases and a fixed seed, every compiled path (and JAX) on every
# one (--compiling-every 1), so that no feature meets a compiled path only when the sample
# lands there (issue 25): 801 s here on 2 shared cores
# against 137 s at --compiling-every 4, well inside the tests session's 25 minutes.
FUZZ_DEFAULTS = ["--examples", "300", "--seed", "0", "--tolerance-cases", "1000", "--compiling-every", "1"]


def _in(session, name, *arguments, **kwargs):
    """Run `python ARGUMENTS` in environment `name` (built first if there is none)."""
    env = specs.spec(name)
    session.run(str(build.ensure(env, session.log)), *arguments, env=run.environ(env), external=True, **kwargs)


def _backend_session(session, backend, env):
    """Write the backend's results, then run its tests, in its pinned environment."""
    _in(session, env.session, "-m", "convsuite.conformance", "run", "--backend", backend, "--out", env.results)
    _bubblewrap(session)  # tests/check run submissions
    # tests/report and tests/project need tools of their own, tests/tabs every backend's
    # environment: their sessions run them.
    _in(session, env.session, "-m", "pytest", f"--backend={backend}", "--ignore=tests/report",
        "--ignore=tests/project", "--ignore=tests/tabs", *session.posargs)


def _register(backend, env):
    def session_function(session):
        _backend_session(session, backend, env)

    session_function.__doc__ = (f"{backends.declaration(backend).framework}: {env.requirements}, "
                                f"results in {env.results}" + (f" ({env.why})" if env.why else ""))
    nox.session(name=env.session)(session_function)


for _declaration in backends.declarations():
    for _env in _declaration.environments:
        _register(_declaration.name, _env)


def _debian_package(session, package, program):
    """Install Debian's `package` when `program` is missing (as root, as CI runs)."""
    if not pathlib.Path(program).exists():
        session.run("apt-get", "update", external=True)
        session.run("apt-get", "install", "-y", package, external=True, env={"DEBIAN_FRONTEND": "noninteractive"})


def _chromium(session):
    """The report's tests open it in Debian's headless Chromium."""
    _debian_package(session, "chromium", "/usr/bin/chromium")


def _bubblewrap(session):
    """check runs every submission in a bubblewrap sandbox (Flatpak's), and refuses without one."""
    _debian_package(session, "bubblewrap", "/usr/bin/bwrap")


def _workers():
    """--python=NAME=PYTHON for every backend's main environment (the fuzz and bench workers)."""
    envs = main_job.main_environments()
    return [f"--python={env.name}={python}" for env, python in zip(envs, build.ensure_all(envs))]


@nox.session
def matrix(session):
    """The main job (`convsuite matrix`): every backend's cases, each in its pinned
    environment, compared; report/ written and checked in Chromium. It runs no test suite
    (the test command does).

    compare judges every backend against the reference and each other; report/ holds
    index.html, index.md and the learning plots."""
    code = main_job.matrix(say=session.log)
    _chromium(session)
    results = [env.results for env in MAIN]
    # Its own page, and that page at a glance (the pages session checks a planted one).
    _in(session, "report", "-m", "pytest", "tests/report/test_report.py",
        "tests/report/test_report_glance.py::test_the_real_report_at_a_glance", "--report-dir", "report",
        *[f"--report-results={path}" for path in results])
    if code:
        session.error(f"the backends disagree or failed (exit {code}): see the table above and report/index.html")


@nox.session
def pages(session):
    """The report's page at a glance with a planted disagreement, in Chromium at 1,400 px
    (tests/report/test_report_glance.py), and the benchmark's page from a tiny bench
    (test_bench_report.py). Apart from the main job, whose own check is its real page."""
    _chromium(session)
    _in(session, "report", "-m", "pytest", "tests/report/test_report_glance.py", "tests/report/test_bench_report.py")


@nox.session
def fuzz(session):
    """Generated cases through every backend, compared; the smallest failure is kept."""
    _in(session, "numpy", "-m", "convsuite.conformance", "fuzz", *_workers(), "--out", "fuzz/failure.json",
        *(session.posargs or FUZZ_DEFAULTS))


@nox.session
def bench(session):
    """Time every corr2d path and the learning loop in every framework, one process after
    another, against the machine's floor; print the table, write bench/results.json.

    Not a default session: timings belong on a quiet machine, not in the test run.
    Arguments after -- go to `python -m conformance bench` (e.g. --sizes 256x256/3x3).
    bench/index.html shows the results as a chart and the targets as a table."""
    _in(session, "bench", "-m", "convsuite.conformance", "bench", *_workers(), "--out", "bench/results.json",
        *session.posargs)
    _in(session, "bench", "-m", "convsuite.conformance", "report", "--bench", "bench/results.json", "--out", "bench")


@nox.session
def mutants(session):
    """Mutation testing of one backend (`nox -s mutants -- numpy [FILE...]`) with cosmic-ray in
    its own environment: each mutant of the backend's fast and compiled paths (and, for
    numpy, the reference) made in a temporary copy of the checkout and run through the main
    job's cases and the backend's tests (conformance/mutants). Prints the score, the skipped
    equivalents (tests/mutants/equivalent.toml) and every survivor; fails on a survivor. Not a
    default session: it takes half an hour or more."""
    from convsuite.conformance.mutants import session as mutation

    if not session.posargs:
        session.error("name the backend: nox -s mutants -- numpy")
    backend, *files = session.posargs
    tool, killer = specs.spec("mutants"), specs.spec(backend)
    code = mutation.run(backend, files, build.ensure(tool, session.log), build.ensure(killer, session.log),
                        dict(killer.variables), say=session.log)
    if code:
        session.error(f"mutants exited {code}")


@nox.session
def porting(session):
    """Regenerate docs/porting-guide.md from the backends' source (it imports no framework)."""
    _in(session, "numpy", "-m", "convsuite.conformance", "port", "--write", "docs/porting-guide.md")
    _in(session, "numpy", "-m", "pytest", "tests/test_porting.py")


@nox.session
def project(session):
    """The repository's own checks: the GitHub Actions workflow and action (actionlint, their
    steps), the pre-commit hook, the wheel installed into a throwaway environment (its command
    and pytest plugin), the rule that no framework is named outside backends/."""
    _bubblewrap(session)  # the installed command checks a chapter
    _in(session, "project", "-m", "pytest", "tests/project", *session.posargs)


@nox.session
def check(session):
    """convsuite check TARGET... --backend NAME, in NAME's pinned environment (with check's
    own tools). --install PKG goes to a throwaway overlay on it, never into it. Not a default
    session: it needs targets."""
    _bubblewrap(session)
    code = launcher.main(["check", *session.posargs])
    if code:
        session.error(f"check exited {code}")


@nox.session
def tabs(session):
    """convsuite tabs CHAPTER.md: a d2l chapter's framework tabs, each in its backend's pinned
    environment (sandboxed, twice), compared step by step (`nox -s tabs -- CHAPTER.md --tab
    pytorch ...`). Without arguments: tabs' tests (tests/tabs), whose chapters start every
    backend's environment."""
    _bubblewrap(session)
    if not session.posargs:
        _in(session, "numpy", "-m", "pytest", "tests/tabs", "-p", "no:cacheprovider")
        return
    code = launcher.main(["tabs", *session.posargs])
    if code:
        session.error(f"tabs exited {code}")
