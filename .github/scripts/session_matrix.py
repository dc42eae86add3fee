"""The workflow's job matrix, from the noxfile: one {"session", "python"} per nox session,
its Python that of the convsuite environment the session runs in.

    python .github/scripts/session_matrix.py >> "$GITHUB_OUTPUT"

prints ``matrix={"include": [...]}``. The noxfile generates a session per backend
environment from the registry, so a new backend gets its job with no change to the
workflow. `nox -l --json` alone lists only the default sessions; a keyword expression that
every session matches lists them all. tests/project/test_workflow.py checks the result.
"""

import json
import pathlib
import subprocess
import sys

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parents[2]))  # the checkout's packages
from convsuite.conformance.environments import specs  # noqa: E402

# Sessions without a job of their own, and why.
NOT_RUN = {
    "matrix": "it runs every backend's cases again; the report job compares the session jobs' results instead",
    "check": "it checks the targets given after --; tests/check runs in every backend's session",
}


def sessions():
    """[{"session", "python"}] of every noxfile session that gets a job, in noxfile order."""
    done = subprocess.run([sys.executable, "-m", "nox", "-l", "--json", "-k", "not __no_session_is_called_this__"],
                          capture_output=True, text=True, check=True)
    environments = specs.all_specs()  # nox creates no environment: each session runs in convsuite's own
    return [{"session": s["session"], "python": environments.get(s["session"], environments["numpy"]).python}
            for s in json.loads(done.stdout) if s["session"] not in NOT_RUN]


if __name__ == "__main__":
    print("matrix=" + json.dumps({"include": sessions()}))
