"""Planted backends for the tests: a real backend's module with some of its names replaced,
under a declaration of our choosing, run through the same runner and comparison."""

import dataclasses
import types

from convsuite import backends
from convsuite.backends.contract import Backend


def planted(base="numpy", name=None, capabilities=None, monkeypatch=None, **replaced):
    """Backend `base` with `replaced` names (functions, constants) swapped in, called `name`,
    declaring `capabilities` (default: the base's). With `monkeypatch`, the names are
    replaced in the module itself, so that its own functions call them too (until undone);
    without, in a copy, beside which the real backend runs unchanged."""
    real = backends.load(base)
    module = real.module if monkeypatch else types.SimpleNamespace(**vars(real.module))
    for attribute, value in replaced.items():
        if monkeypatch:
            monkeypatch.setattr(module, attribute, value, raising=False)
        else:
            setattr(module, attribute, value)
    declaration = real.declaration
    if name is not None and not monkeypatch:
        module.name = name
        declaration = dataclasses.replace(declaration, name=name)
    if capabilities is not None:
        declaration = dataclasses.replace(declaration, capabilities=frozenset(capabilities))
    return Backend(declaration, module)


def throwaway_backend(tmp_path, monkeypatch, name, framework_import=None):
    """Register a new backend the way a contributor adds one: a module (here NumPy's source
    under another name, importing `framework_import` first when given), a requirements
    file and one registry line. Returns its module's path."""
    import pathlib

    from convsuite.backends import registry

    source = pathlib.Path(backends.declaration("numpy").path).read_text()
    source = source.replace('name = "numpy"', f'name = "{name}"', 1)
    source = source.replace('"requirements/numpy.txt"', f'"{tmp_path / "requirements.txt"}"', 1)
    if framework_import:
        source = source.replace("import numpy as np\n", f"import {framework_import}\nimport numpy as np\n", 1)
    (tmp_path / "requirements.txt").write_text("numpy\n")
    module = tmp_path / f"{name}_backend.py"
    module.write_text(source)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setitem(registry.BACKENDS, name, f"{name}_backend")
    return module


def messages(outcome):
    """Every failure of a comparison as the sentence the table prints."""
    return [str(failure) for failure in outcome.failures]
