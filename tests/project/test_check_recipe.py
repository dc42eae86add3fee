"""The README's CI recipe for a course repository (docs/check-workflow.yml, shown verbatim in
the README): a job of about 15 lines, one run per framework the suite has, each through the
repository's action (action.yml) pinned to a release tag; actionlint passes it as it is, and,
with `uses: ./` in a copy beside a copy of action.yml, checks its inputs against the action's;
and a second job runs `convsuite tabs` on the chapters a push changes."""

import pathlib
import re
import shutil
import subprocess

import yaml

from convsuite import backends
from test_workflow import _actionlint, _lint

ROOT = pathlib.Path(__file__).resolve().parents[2]
RECIPE = ROOT / "docs" / "check-workflow.yml"
ACTION = ROOT / "action.yml"
# The action as a course repository names it: OWNER/convsuite at a release tag. `convsuite`
# stands for wherever yours is (the README says so).
USES = re.compile(r"convsuite/convsuite@v\d+\.\d+\.\d+")


def _job(name="chapter"):
    jobs = yaml.safe_load(RECIPE.read_text())["jobs"]
    assert sorted(jobs) == ["chapter", "tabs"], f"the recipe has the jobs chapter and tabs, not {sorted(jobs)}"
    return name, jobs[name]


def _lint_locally(tmp_path, text):
    """actionlint on the recipe with the action as a local one (`uses: ./`): a project (a .git
    and .github/workflows) holding a copy of action.yml at its root, whose inputs it reads."""
    project = tmp_path / "course"
    (project / ".git").mkdir(parents=True, exist_ok=True)
    (project / ".github" / "workflows").mkdir(parents=True, exist_ok=True)
    shutil.copy(ACTION, project / "action.yml")
    workflow = project / ".github" / "workflows" / "check.yml"
    workflow.write_text(USES.sub("./", text))
    return subprocess.run([_actionlint(), "-no-color", str(workflow)], cwd=project, capture_output=True, text=True)


def test_actionlint_passes_the_recipe():
    done = _lint(RECIPE)
    assert done.returncode == 0, done.stdout + done.stderr


def test_actionlint_checks_the_recipes_inputs_against_the_action(tmp_path):
    done = _lint_locally(tmp_path, RECIPE.read_text())
    assert done.returncode == 0, done.stdout + done.stderr
    # The check is real: an input the action lacks, and a required one missing, are errors.
    broken = RECIPE.read_text().replace("backend: ${{", "framework: ${{").replace("targets:", "# targets:")
    done = _lint_locally(tmp_path, broken)
    assert done.returncode == 1, done.stdout
    assert 'input "framework" is not defined' in done.stdout and 'missing input "targets"' in done.stdout


def test_one_short_job_per_framework_through_the_pinned_action():
    name, job = _job()
    assert set(job["strategy"]["matrix"]["backend"]) == set(backends.names())
    lines = RECIPE.read_text().split(f"\n  {name}:\n", 1)[1].split("\n  tabs:", 1)[0].splitlines()
    assert 10 <= len(lines) <= 18, f"the {name} job has {len(lines)} lines; the recipe keeps it about 15"
    steps = job["steps"]
    assert str(steps[0]["uses"]).startswith("actions/checkout@")
    [step] = [s for s in steps if USES.fullmatch(str(s.get("uses", "")))]
    assert step["with"]["backend"] == "${{ matrix.backend }}" and step["with"]["targets"]
    action = yaml.safe_load(ACTION.read_text())
    assert set(step["with"]) <= set(action["inputs"])
    assert not any("run" in s for s in steps), "the action does the work: no script in the recipe"


def test_the_tabs_job_runs_tabs_on_each_changed_chapter_and_fails_on_any():
    _, job = _job("tabs")
    script = job["steps"][-1]["run"]
    assert "git diff --name-only" in script and "convsuite tabs \"$chapter\"" in script
    assert "status=1" in script and script.rstrip().endswith('exit "$status"')
    assert any("bubblewrap" in str(step.get("run", "")) for step in job["steps"]), "tabs runs each tab sandboxed"


def test_the_readme_shows_the_recipe_verbatim():
    readme = ROOT / "README.md"
    blocks = re.findall(r"```yaml\n(.*?)```", readme.read_text(), re.S)
    assert RECIPE.read_text() in blocks, f"{readme.name} does not show {RECIPE.relative_to(ROOT)} as it is"
