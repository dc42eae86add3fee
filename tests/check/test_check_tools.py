"""check's own tools install into every backend's environment without changing a pin, and its
overlays are built by the environments' own builder."""

import pathlib
import subprocess
import sys

import pytest

from convsuite import backends

ROOT = pathlib.Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.check_backend("numpy")


def _pins(path):
    pins = {}
    for line in pathlib.Path(path).read_text().splitlines():
        if "==" in line and not line.startswith("#"):
            name, version = line.split("#")[0].strip().split("==")
            pins[name.lower().replace("_", "-")] = version
    return pins


@pytest.mark.parametrize("name", backends.names())
def test_the_tools_pin_what_each_backend_pins_alike(name):
    tools = _pins(ROOT / "requirements" / "check.txt")
    for env in backends.declaration(name).environments:
        theirs = _pins(ROOT / env.requirements)
        clash = {p: (tools[p], theirs[p]) for p in set(tools) & set(theirs) if tools[p] != theirs[p]}
        assert not clash, f"requirements/check.txt and {env.requirements} pin differently: {clash}"


def test_an_overlay_is_made_and_filled_by_the_environments_builder(tmp_path, monkeypatch):
    """One environment builder: check's overlay makes its virtual environment and installs into
    it with `conformance.environments.build`'s own create and install, and still sees the
    environment's packages through its .pth."""
    from convsuite.conformance.check.sandbox import overlay
    from convsuite.conformance.environments import build

    calls = []
    for name in ("create", "install"):
        real = getattr(build, name)
        monkeypatch.setattr(build, name, lambda *a, _real=real, _name=name, **k: calls.append(_name) or _real(*a, **k))
    monkeypatch.setattr(overlay, "cache_root", lambda: tmp_path)
    python, notes = overlay.ensure(sys.executable, ["tomli-w"], say=lambda *a, **k: None)
    assert calls[0] == "create" and calls[1:] and set(calls[1:]) == {"install"}, calls
    assert pathlib.Path(python).is_relative_to(tmp_path) and notes == []
    done = subprocess.run([python, "-c", "import tomli_w, numpy"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr  # its own package, and the pinned environment's
