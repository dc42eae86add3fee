"""The command cosmic-ray runs for each mutant, in the backend's environment, in the session's
copy: `python -m convsuite.conformance.mutants.killer NAME`. The main job's cases first (`run`
then `compare`, which judges against the float64 reference), then the backend's tests that
exercise the mutated modules (targets.toml), pytest stopping at the first failure. Exit 0:
the mutant survived; anything else: killed. The steps run in order and the first failure
stops it, so a killed mutant costs only what it took to be caught."""

import pathlib
import subprocess
import sys
import tempfile
import tomllib

TARGETS = pathlib.Path(__file__).with_name("targets.toml")


def steps(backend, results):
    tests = tomllib.loads(TARGETS.read_text(encoding="utf-8"))[backend]["tests"]
    conformance = [sys.executable, "-m", "convsuite.conformance"]
    return [
        [*conformance, "run", "--backend", backend, "--out", results],
        [*conformance, "compare", results],
        [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", f"--backend={backend}", *tests],
    ]


def main(backend):
    with tempfile.TemporaryDirectory(prefix="convsuite-killer-") as folder:
        for command in steps(backend, str(pathlib.Path(folder, f"{backend}.json"))):
            code = subprocess.run(command).returncode
            if code:
                print(f"killer: killed by `{' '.join(command[1:])}` (exit {code})", flush=True)
                return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
