"""Planted backends for the tests: a real backend's package with some of its names replaced
(or a function of it recompiled with a slip in its source), under a declaration of our
choosing, run through the same runner and comparison; and throwaway backends, registered as
a contributor adds one: a folder and one registry line."""

import ast
import dataclasses
import functools
import importlib
import inspect
import shutil
import sys
import textwrap
import types

from convsuite import backends
from convsuite.backends import contract, facts, registry
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
            replace_everywhere(monkeypatch, real, attribute, value)
        else:
            setattr(module, attribute, value)
    declaration = real.declaration
    if name is not None and not monkeypatch:
        module.name = name
        declaration = dataclasses.replace(declaration, name=name)
    if capabilities is not None:
        declaration = dataclasses.replace(declaration, capabilities=frozenset(capabilities))
    return Backend(declaration, module)


def replace_everywhere(monkeypatch, backend, attribute, value, holder=None):
    """Set `attribute` of `holder` (default: the module of the backend's package that defines
    it, else the package), and of each module of the package that holds the same object (one
    imported from another), to `value`: the backend's own functions then call it too."""
    if holder is None:
        try:
            holder = defining_module(backend, attribute)
        except contract.ContractError:  # a name the backend does not define: the package gets it
            holder = backend.module
    package = backend.declaration.module
    current = getattr(holder, attribute, None)
    monkeypatch.setattr(holder, attribute, value, raising=False)
    if current is None:
        return
    for name, module in list(sys.modules.items()):
        if (name == package or name.startswith(package + ".")) and getattr(module, attribute, None) is current:
            monkeypatch.setattr(module, attribute, value)


def defining_module(backend, function):
    """The module of the backend's package whose file defines `function`
    (`Declaration.source_of`), imported."""
    declaration = backend.declaration
    path = declaration.source_of(function)
    if path == declaration.path:
        return importlib.import_module(declaration.module)
    return importlib.import_module(f"{declaration.module}.{path.stem}")


def plant(monkeypatch, backend, function, old, new, globals_=None):
    """The backend's `function` recompiled from its source with `old` replaced by `new`, in
    the namespace of the module that defines it (with `globals_` changed), put in its place
    everywhere the backend holds it. Returns the planted function."""
    module = defining_module(backend, function)
    source = textwrap.dedent(inspect.getsource(getattr(module, function)))
    assert old in source, f"{function} no longer holds {old!r}: update the planted bug"
    namespace = {**vars(module), **(globals_ or {})}
    exec(compile(source.replace(old, new), f"<planted {function}>", "exec"), namespace)
    replace_everywhere(monkeypatch, backend, function, namespace[function], holder=module)
    return namespace[function]


def throwaway_backend(tmp_path, monkeypatch, name, framework_import=None, framework=None):
    """Register a new backend the way a contributor adds one: a folder (here a copy of
    NumPy's, `backends/numpy/`, with its name changed, its framework's name in prose too when
    `framework` is given, and its package importing `framework_import` first when given) and
    one registry line. The package is `tmp_path/name`, importable as `name`. Returns its
    folder."""
    numpy = backends.declaration("numpy")
    folder = tmp_path / name
    shutil.copytree(numpy.folder, folder, ignore=shutil.ignore_patterns("__pycache__"))
    named = folder / numpy.source_of("name").relative_to(numpy.folder)
    named.write_text(_replaced_once(named.read_text(), 'name = "numpy"', f'name = "{name}"'))
    if framework:
        toml = folder / facts.FACTS
        toml.write_text(_replaced_once(toml.read_text(), f'framework = "{numpy.framework}"',
                                       f'framework = "{framework}"'))
    if framework_import:
        init = folder / "__init__.py"
        init.write_text(_import_first(init.read_text(), framework_import))
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setitem(registry.BACKENDS, name, name)
    # declarations are cached by name: this one's, and any that reads the registry, start
    # afresh, and the suite's cache is back when monkeypatch undoes this
    monkeypatch.setattr(backends, "_cached_declaration", functools.cache(backends._cached_declaration.__wrapped__))
    for imported in [m for m in sys.modules if m == name or m.startswith(name + ".")]:
        monkeypatch.delitem(sys.modules, imported)  # an earlier test's throwaway of that name
    return folder


def _replaced_once(text, old, new):
    assert old in text, f"the throwaway backend's edit {old!r} no longer applies: update tests/planting.py"
    return text.replace(old, new, 1)


def _import_first(source, module):
    """`source` importing `module` before anything else it does (after its docstring)."""
    body = ast.parse(source).body
    after = body[0].end_lineno if body and isinstance(body[0], ast.Expr) else 0
    lines = source.splitlines(keepends=True)
    return "".join(lines[:after] + [f"import {module}\n"] + lines[after:])


def without_name(path, name):
    """Take `name` out of the module at `path`: its definition, assignment or import (the
    others a statement imports stay). Returns the removed statement's first line."""
    source = path.read_text()
    lines = source.splitlines(keepends=True)
    for node in ast.parse(source).body:
        if isinstance(node, ast.ImportFrom) and name in {alias.asname or alias.name for alias in node.names}:
            node.names = [alias for alias in node.names if (alias.asname or alias.name) != name]
            kept = [ast.unparse(node) + "\n"] if node.names else []
        elif getattr(node, "name", None) == name or (isinstance(node, ast.Assign) and name in {
                target.id for target in node.targets if isinstance(target, ast.Name)}):
            kept = []
        else:
            continue
        removed = lines[node.lineno - 1]
        lines[node.lineno - 1:node.end_lineno] = kept
        path.write_text("".join(lines))
        return removed
    raise AssertionError(f"{path} has no top-level {name!r} to remove: update the planted change")


def messages(outcome):
    """Every failure of a comparison as the sentence the table prints."""
    return [str(failure) for failure in outcome.failures]
