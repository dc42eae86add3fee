"""Environments for the children: the backend's pinned one, or a throwaway overlay on it.

An overlay is a virtual environment of the same Python whose site-packages chain to the
pinned environment's (a .pth line), so that everything pinned there is seen as installed
and never installed again or changed; new packages go into the overlay only. It holds:
- check's own tools (requirements/check.txt: IPython for the cells, nbformat, jupytext,
  d2lbook), where the environment lacks them;
- the packages of `--install PKG`, resolved with the environment's versions as constraints.
  A package that pins another version of something pinned (the book's d2l pins
  numpy==1.23.5) is installed without its dependencies, then each of its requirements that
  the environment lacks is installed by name under the same constraints; the pins kept are
  reported.
Overlays live in the environments' cache folder (`convsuite env list` shows it), under
overlays/<hash of the environment and the packages>, rebuilt only when either changes.
"""

import hashlib
import json
import pathlib
import subprocess
import sys

import convsuite
from convsuite.conformance.environments import build
from convsuite.conformance.environments.specs import CHECK_TOOLS, cache_root

TOOLS = convsuite.resource(CHECK_TOOLS)
TOOL_MODULES = ("IPython", "nbformat", "jupytext", "d2lbook", "traitlets", "markdown_it")


class OverlayError(RuntimeError):
    """An overlay that could not be built (pip's last words)."""


def _run(command, **kwargs):
    return subprocess.run([str(c) for c in command], capture_output=True, text=True, **kwargs)


def has_tools(python):
    """Whether `python` finds check's tools (found, not imported: importing IPython costs more)."""
    code = f"import importlib.util as u, sys; sys.exit(any(u.find_spec(m) is None for m in {TOOL_MODULES!r}))"
    return _run([python, "-c", code]).returncode == 0


def _facts(python):
    code = ("import json, sys, sysconfig; print(json.dumps({'version': sys.version, 'prefix': sys.prefix, "
            "'paths': sorted({sysconfig.get_path('purelib'), sysconfig.get_path('platlib')})}))")
    return json.loads(_run([python, "-c", code]).stdout)


def _pip(python, *arguments, log):
    # pip, never uv: the overlay's pip, chained to the environment's, sees every pinned
    # package as installed (through the .pth), which uv, reading site-packages, would not
    done = build.install(python, arguments)
    log.append(f"pip install {' '.join(map(str, arguments))}: exit {done.returncode}: {done.stderr.strip()[-400:]}")
    return done


def _requirements(python, package):
    code = ("import json, sys, importlib.metadata as m; from packaging.requirements import Requirement; "
            "reqs = [Requirement(r) for r in (m.requires(sys.argv[1]) or [])]; "
            "print(json.dumps([r.name for r in reqs if r.marker is None or r.marker.evaluate({'extra': ''})]))")
    done = _run([python, "-c", code, _name(package)])
    return json.loads(done.stdout) if done.returncode == 0 else []


def _installed(python, name):
    return _run([python, "-c", f"import importlib.metadata as m; m.version({name!r})"]).returncode == 0


def _name(package):
    for mark in "=<>!~[; @":
        package = package.split(mark)[0]
    return package.strip()


def _install(python, package, *, constraints, notes, log):
    if _installed(python, _name(package)):
        raise OverlayError(f"--install {package}: the environment has {_name(package)} pinned already; an overlay "
                           "adds packages, it never changes a pinned one")
    if _pip(python, "-c", constraints, package, log=log).returncode == 0:
        return
    if _pip(python, "--no-deps", package, log=log).returncode != 0:
        raise OverlayError(f"--install {package}: pip could not install it ({log[-1]})")
    kept = []
    for requirement in _requirements(python, package):
        if _installed(python, requirement):
            kept.append(requirement)
        elif _pip(python, "-c", constraints, requirement, log=log).returncode != 0:
            notes.append(f"{package} requires {requirement}, which could not be installed beside the pins")
    notes.append(f"{package} pins versions the environment's pins contradict: installed without its "
                 f"dependencies; kept the environment's {', '.join(kept) or 'packages'}")


def _missing_tools(python, folder):
    """requirements/check.txt less what the environment has already (its own pin wins)."""
    lines = [line.strip() for line in TOOLS.read_text().splitlines() if line.strip() and not line.startswith("#")]
    code = ("import sys, importlib.metadata as m\nfor n in sys.argv[1:]:\n    try: m.version(n)\n"
            "    except m.PackageNotFoundError: print(n)")
    missing = set(_run([python, "-c", code, *[_name(line) for line in lines]]).stdout.split())
    path = folder / "tools.txt"
    path.write_text("".join(f"{line}\n" for line in lines if _name(line) in missing))
    return path


def _fix(python, fixes, *, notes, log):
    """Run the backend's after-install script of each distribution the overlay now has."""
    for distribution, script in fixes.items():
        if not _installed(python, distribution):
            continue
        done = _run(["bash", convsuite.resource(script), python])
        log.append(f"{script}: exit {done.returncode}: {(done.stdout + done.stderr).strip()[-400:]}")
        if done.returncode:
            raise OverlayError(f"{distribution} was installed, but {script} could not make it work here: {log[-1]}")
        notes.append(f"{distribution}: made to work with this environment by {script}")


def ensure(python, packages, *, fixes=None, say=print):
    """(the Python the children run, notes): `python` itself when it has the tools and
    nothing is to be installed, else an overlay's; `fixes` ({distribution: script}, the
    backend's after_install) run on what the overlay installed."""
    fixes = fixes or {}
    tools = not has_tools(python)
    if not tools and not packages:
        return pathlib.Path(python), []
    facts = _facts(python)
    key = hashlib.sha256(json.dumps([str(pathlib.Path(python).resolve()), facts, sorted(packages),
                                     TOOLS.read_text() if tools else "",
                                     {d: convsuite.resource(f).read_text() for d, f in sorted(fixes.items())}]).encode()).hexdigest()[:16]
    folder = cache_root() / "overlays" / key
    ready = folder / "ready.json"
    overlay_python = folder / "bin" / "python"
    if ready.exists():
        return overlay_python, json.loads(ready.read_text())["notes"]
    from filelock import FileLock  # only where an overlay is built: every command imports this module

    folder.parent.mkdir(parents=True, exist_ok=True)
    with FileLock(f"{folder}.lock"):  # two checks (xdist workers, shards) asking for one overlay build it once
        if not ready.exists():
            _build(python, folder, facts=facts, packages=packages, tools=tools, fixes=fixes, say=say)
    return overlay_python, json.loads(ready.read_text())["notes"]


def _build(python, folder, *, facts, packages, tools, fixes, say):
    ready, overlay_python = folder / "ready.json", folder / "bin" / "python"  # ready.json last: a killed build is redone
    say(f"check: building the overlay {folder} (once): {'check tools, ' if tools else ''}{', '.join(packages)}",
        file=sys.stderr)
    done = build.create(python, folder, seed_pip=False)  # its pip is the environment's, through the .pth
    if done.returncode:
        raise OverlayError(f"cannot create {folder}: {done.stderr.strip()[-300:]}")
    site = pathlib.Path(_facts(overlay_python)["paths"][0])
    (site / "_convsuite_overlay.pth").write_text(
        "".join(f"import site; site.addsitedir({path!r})\n" for path in facts["paths"]))
    freeze = _run([python, "-m", "pip", "freeze", "--all"]).stdout.splitlines()
    constraints = folder / "constraints.txt"
    constraints.write_text("\n".join(line for line in freeze if "==" in line and not line.startswith("-e")) + "\n")
    notes, log = [], []
    if tools and _pip(overlay_python, "--no-deps", "-c", constraints, "-r", _missing_tools(python, folder),
                      log=log).returncode != 0:
        raise OverlayError(f"cannot install check's tools ({TOOLS}): {log[-1]}")
    for package in packages:
        _install(overlay_python, package, constraints=constraints, notes=notes, log=log)
    _fix(overlay_python, fixes, notes=notes, log=log)
    ready.write_text(json.dumps({"notes": notes, "log": log}, indent=1))
