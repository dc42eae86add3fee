"""The workflow's job matrix, from the noxfile: one {"session", "python"} per nox session.

    python .github/scripts/session_matrix.py >> "$GITHUB_OUTPUT"

prints ``matrix={"include": [...]}``. The noxfile generates a session per backend
environment from the registry, so a new backend gets its job with no change to the
workflow. `nox -l --json` alone lists only the default sessions; a keyword expression that
every session matches lists them all. tests/project/test_workflow.py checks the result.
"""

import json
import subprocess
import sys

# Sessions without a job of their own, and why.
NOT_RUN = {
    "matrix": "it runs every backend's cases again; the report job compares the session jobs' results instead",
    "check": "it checks the targets given after --; tests/check runs in every backend's session",
}


def sessions():
    """[{"session", "python"}] of every noxfile session that gets a job, in noxfile order."""
    done = subprocess.run([sys.executable, "-m", "nox", "-l", "--json", "-k", "not __no_session_is_called_this__"],
                          capture_output=True, text=True, check=True)
    return [{"session": s["session"], "python": str(s["python"])}
            for s in json.loads(done.stdout) if s["session"] not in NOT_RUN]


if __name__ == "__main__":
    print("matrix=" + json.dumps({"include": sessions()}))
