"""The main job's progress (conformance/launcher/matrix.py) against fake children that print
what `python -m convsuite.conformance run` prints: its progress lines on stderr as it goes,
a stray warning, its summary on stdout at the end. Each child holds its end back until the
test lets it go, so a progress line seen before then was read as it came, not at the end."""

import io
import pathlib
import sys
import threading
import time

import pytest

from convsuite.conformance.launcher import matrix

ROOT = pathlib.Path(__file__).resolve().parents[2]
CHILD = r'''
import os, sys, time
name, release, code = sys.argv[3], sys.argv[5], int(sys.argv[6])
for path, total in (("fast", 40), ("builtin", 20)):
    for done in range(1, total + 1):
        if done == total or done % 20 == 0:
            print(f"[{name}:{path}] {done}/{total} cases (last: case-{done})", file=sys.stderr)
print(f"{name}: a warning from the framework", file=sys.stderr)
deadline = time.monotonic() + 60
while not os.path.exists(release) and time.monotonic() < deadline:
    time.sleep(0.02)
print(f"[{name}] wrote {name}.json: results of 40 fast, 20 builtin cases")
sys.exit(code)
'''


def fake_run(name, release, code=0):
    """A command as run_side_by_side takes it; argv[3:] reads as `run`'s own arguments."""
    return [sys.executable, "-c", CHILD, "run", "--backend", name, "--out", str(release), str(code)], None


def _wait_for(condition, seconds=60):
    deadline = time.monotonic() + seconds
    while not condition() and time.monotonic() < deadline:
        time.sleep(0.02)
    return condition()


def test_plain_lines_show_each_backends_progress_while_it_runs(tmp_path, capsys):
    release, shown = tmp_path / "release", []
    display = matrix.PlainLines(shown.append, every=0)
    commands = [fake_run("alpha", release), fake_run("beta", release, code=1)]
    outcome = {}
    job = threading.Thread(target=lambda: outcome.update(failed=matrix.run_side_by_side(
        commands, names=["alpha", "beta"], display=display, workers=2)))
    job.start()
    try:
        progressed = _wait_for(lambda: all(f"[{name}] builtin: case 20 of 20 (last: case-20)" in shown
                                           for name in ("alpha", "beta")))
        before_the_end = list(shown)
    finally:
        release.touch()
        job.join(60)
    assert progressed, shown
    for name in ("alpha", "beta"):  # each backend: started, each path's progress, all before it ended
        assert [line for line in before_the_end if line.startswith(f"[{name}]")] == [
            f"[{name}] running its cases",
            f"[{name}] fast: case 20 of 40 (last: case-20)",
            f"[{name}] fast: case 40 of 40 (last: case-40)",
            f"[{name}] builtin: case 20 of 20 (last: case-20)",
        ]
    assert not any("exit" in line for line in before_the_end)
    # Then each one's result, and its other output, once it ends.
    assert outcome["failed"] == [f"run --backend beta --out {release} 1"]
    assert any(line.startswith(f"[alpha] run --backend alpha --out {release} 0 (exit 0, ") for line in shown)
    assert any(line.startswith("[beta] FAILED run --backend beta") and "(exit 1, " in line for line in shown)
    printed = capsys.readouterr().out
    assert "[alpha] wrote alpha.json" in printed and "beta: a warning from the framework" in printed
    assert "cases (last:" not in printed  # the progress lines, shown already, are not printed again


def test_plain_lines_are_throttled_per_backend_but_each_paths_first_and_last():
    now, shown = [0.0], []
    display = matrix.PlainLines(shown.append, every=10, clock=lambda: now[0])
    lines = [(0, ("fast", 20, 100, "a")), (1, ("fast", 40, 100, "b")), (11, ("fast", 60, 100, "c")),
             (12, ("fast", 100, 100, "d")), (13, ("builtin", 20, 50, "e")), (14, ("builtin", 40, 50, "f"))]
    for seconds, line in lines:
        now[0] = seconds
        display.progress("torch", *line)
        display.progress("jax", *line)  # each backend throttled on its own
    for name in ("torch", "jax"):
        assert [line for line in shown if line.startswith(f"[{name}]")] == [
            f"[{name}] fast: case 20 of 100 (last: a)", f"[{name}] fast: case 60 of 100 (last: c)",
            f"[{name}] fast: case 100 of 100 (last: d)", f"[{name}] builtin: case 20 of 50 (last: e)"]


def test_progress_lines_are_read_as_run_prints_them():
    assert matrix.parse_progress("[tensorflow:builtin] 200/230 cases (last: geometry-all-grad-channels)\n") == (
        "builtin", 200, 230, "geometry-all-grad-channels")
    assert matrix.parse_progress("[numpy:fast] 3/3 cases (last: a [b] (c))") == ("fast", 3, 3, "a [b] (c)")
    assert matrix.parse_progress("Traceback (most recent call last):") is None
    assert matrix.parse_progress("[numpy] wrote results/numpy.json: results of 275 fast cases") is None
    # The line `run` prints (its child's supervisor), which the pattern above must go on reading.
    assert 'f"[{name}:{path}] {done}/{totals[path]} cases (last: {case_id})"' in (
        ROOT / "conformance" / "harness" / "supervised.py").read_text()


class _Terminal(io.StringIO):
    def isatty(self):
        return True


def test_bars_on_a_terminal_plain_lines_elsewhere_or_without_rich(monkeypatch):
    assert isinstance(matrix.display_for(["numpy"], stream=io.StringIO()), matrix.PlainLines)
    monkeypatch.setitem(sys.modules, "rich", None)  # rich missing: `import rich...` raises ImportError
    monkeypatch.setitem(sys.modules, "rich.progress", None)
    assert isinstance(matrix.display_for(["numpy"], stream=_Terminal()), matrix.PlainLines)


def test_bars_show_each_backend_and_its_result(tmp_path):
    pytest.importorskip("rich")
    from rich.console import Console

    release, screen = tmp_path / "release", _Terminal()
    release.touch()
    display = matrix.Bars(["alpha", "beta"], console=Console(file=screen, force_terminal=True, width=120))
    failed = matrix.run_side_by_side([fake_run("alpha", release), fake_run("beta", release, code=1)],
                                     names=["alpha", "beta"], display=display, workers=2)
    assert failed == [f"run --backend beta --out {release} 1"]
    text = screen.getvalue()
    assert "[alpha] wrote alpha.json" in text and "beta: a warning from the framework" in text
    assert "FAILED exit 1" in text and "done exit 0" in text and "20/20" in text
