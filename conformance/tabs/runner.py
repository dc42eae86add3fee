"""Run each tab of a chapter in its backend's pinned environment, sandboxed, twice.

A book tab maps to the backend whose backend.toml's check.book_tab names it. Each tab runs
as `check` runs a target (`check.sandbox`: bubblewrap, its limits, a fresh child after a
crash or hang, which skips the cell that caused it), in its backend's environment (built on
first use, `conformance.environments`; `--install` adds packages in check's throwaway
overlay), with the job `check.child.steps` answers. Every tab runs twice, with different
seeds, so that the judge can tell a random value from a deterministic one. What comes back
is each tab's observation per step, as plain data: nothing is judged here.
"""

import concurrent.futures
import os
from dataclasses import dataclass, field

from convsuite import backends
from convsuite.conformance.check.child.protocol import decode_array
from convsuite.conformance.check.sandbox import launch, overlay
from convsuite.conformance.check.sandbox.supervise import supervise
from convsuite.conformance.environments import build, specs

SEEDS = (1, 2)


def backend_of_tab():
    """{book tab: backend} from the declarations (no framework is imported)."""
    return {backends.declaration(name).check["book_tab"]: name for name in backends.names()}


@dataclass
class TabRun:
    """One tab's two runs: per step number, what each run saw; or why it did not run."""

    tab: str
    backend: str
    runs: list = field(default_factory=list)  # per seed: {step: observation}
    problem: str | None = None  # the tab could not run at all (its environment, the sandbox)
    seconds: float = 0.0


def _value(value):
    """A value message's description, its arrays decoded (they were checked in `messages`)."""
    if value["kind"] == "array":
        return {**value, "array": decode_array(value["array"])}
    if value["kind"] == "tuple":
        return {**value, "items": [_value(item) for item in value["items"]]}
    return value


def observations(run, cells):
    """{step: {"value", "error", "printed"}} from one supervised run of a tab's cells: a step's
    value is its last cell's, its error the first cell's that raised, crashed or hung."""
    steps = {}
    for index, cell in enumerate(cells):
        seen = steps.setdefault(cell["step"], {"value": {"kind": "none", "type": "builtins.NoneType"},
                                               "error": None, "printed": ""})
        message, event = run.values.get(index), run.cell_events.get(index)
        if event is not None:
            error = {"type": event["kind"], "message": event["detail"], "where": event.get("where") or f"line {cell['line']}"}
        elif message is None:
            why = run.target_event or run.environment_error or {"detail": run.input_error or "the tab ended before it"}
            error = {"type": "not-run", "message": why.get("detail") or why.get("message", "?"), "where": None}
        else:
            error = message.get("error")
            seen["value"] = _value(message["value"])
            seen["printed"] += message["printed"]
        if error and not seen["error"]:
            seen["error"] = error
    return steps


def packages_for(tab, install, tabs):
    """The --install items for one tab: PKG for every tab, TAB:PKG for that tab alone (so that
    one tab's package, torchvision say, is not installed into every framework's overlay)."""
    chosen = []
    for item in install:
        head, sep, rest = item.partition(":")
        if not (sep and head in tabs):
            chosen.append(item)
        elif head == tab:
            chosen.append(rest)
    return chosen


def _python(backend, install, say):
    env = specs.spec(backends.declaration(backend).main.session)
    python = build.ensure(env, say)
    fixes = backends.declaration(backend).check["after_install"]
    python, notes = overlay.ensure(python, install, fixes=fixes, say=say)
    return python, notes


def run_tabs(chapter, tabs, *, limits, install=(), sandboxed=True, jobs=None, say=print):
    """{tab: TabRun} for each tab in `tabs` (each has a backend), both seeds."""
    mapping = backend_of_tab()
    results = {tab: TabRun(tab, mapping[tab]) for tab in tabs}
    launchers = {}
    for tab in tabs:  # environments first, one after another: a build prints and takes the lock
        try:
            python, notes = _python(mapping[tab], packages_for(tab, install, chapter.tabs), say)
            for note in notes:
                say(f"tabs: note: {note}")
            launchers[tab] = launch.launcher(python, mapping[tab], sandboxed=sandboxed)
        except (build.BuildError, overlay.OverlayError) as exc:
            results[tab].problem = f"its environment could not be made: {exc}"
    staged = launch.Staged(chapter.path)

    def one(tab, seed):
        cells = chapter.cells_of(tab)
        job = {"mode": "tabs", "tab": tab, "seed": seed, "cells": cells}
        run = supervise(job, launchers[tab], staged, planner=None, limits=limits)
        return tab, seed, run, cells

    work = [(tab, seed) for tab in tabs if tab in launchers for seed in SEEDS]
    with concurrent.futures.ThreadPoolExecutor(max(1, min(jobs or os.cpu_count() or 1, len(work) or 1))) as pool:
        for tab, seed, run, cells in pool.map(lambda item: one(*item), work):
            result = results[tab]
            result.seconds += run.seconds
            if run.environment_error:
                result.problem = (f"{run.environment_error['module']} is not importable in the "
                                  f"{result.backend} environment: {run.environment_error['message']}")
            elif run.target_event and run.target_event["kind"] == "corrupt":
                result.problem = run.target_event["detail"]
            result.runs.append(observations(run, cells))
    return results
