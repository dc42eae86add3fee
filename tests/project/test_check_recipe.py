"""The README's CI recipe for a course repository (docs/check-workflow.yml, shown verbatim in
the README): actionlint passes it, it runs check in one job per framework the suite has, it
writes the verdict table to the job summary, grades sharded and merges the shards."""

import pathlib
import re

import yaml

from convsuite import backends
from test_workflow import _lint

ROOT = pathlib.Path(__file__).resolve().parents[2]
RECIPE = ROOT / "docs" / "check-workflow.yml"


def test_actionlint_passes_the_recipe():
    done = _lint(RECIPE)
    assert done.returncode == 0, done.stdout + done.stderr


def test_one_chapter_job_per_framework_and_the_summary():
    jobs = yaml.safe_load(RECIPE.read_text())["jobs"]
    assert set(jobs["chapter"]["strategy"]["matrix"]["backend"]) == set(backends.names())
    text = RECIPE.read_text()
    assert text.count('>> "$GITHUB_STEP_SUMMARY"') == 3
    assert "repository: convsuite/convsuite" in text and "nox -f convsuite/noxfile.py -s check" in text
    shards = jobs["grade"]["strategy"]["matrix"]["shard"]
    assert "--shard ${{ matrix.shard }}/" + str(len(shards)) in text and "--merge" in text


def test_the_readme_shows_the_recipe_verbatim():
    readme = ROOT / "README.md"
    blocks = re.findall(r"```yaml\n(.*?)```", readme.read_text(), re.S)
    assert RECIPE.read_text() in blocks, f"{readme.name} does not show {RECIPE.relative_to(ROOT)} as it is"
