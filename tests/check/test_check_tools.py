"""check's own tools install into every backend's environment without changing a pin."""

import pathlib

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
