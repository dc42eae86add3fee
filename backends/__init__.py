"""One backend per framework, registered by name (`backends.registry`), loaded lazily.

Each backend is a folder, `backends/NAME/` (`backends.contract` says what it holds): the names
every backend package defines, the optional capabilities (a compiled path, an asynchronous
`wait`, compiling every path per shape) and its facts as data (``backend.toml``).
`declaration(name)` reads those facts without importing its framework; `load(name)` imports
the package and checks it against the contract. Importing this package imports no framework.
"""

import functools
import importlib
import os

from convsuite.backends import registry
from convsuite.backends.contract import Backend, ContractError, Declaration, Environment, check  # noqa: F401
from convsuite.backends.facts import declaration as _declaration


class BackendUnavailable(RuntimeError):
    """The backend's framework is not installed (or fails to import) in this environment."""


def names() -> list[str]:
    """Every registered backend, in registry order."""
    return list(registry.BACKENDS)


def _known(name: str) -> str:
    if name not in registry.BACKENDS:
        raise ValueError(f"unknown backend {name!r}; choose one of {sorted(registry.BACKENDS)}")
    return registry.BACKENDS[name]


@functools.cache
def _cached_declaration(name: str, module: str) -> Declaration:
    return _declaration(name, module)


def declaration(name: str) -> Declaration:
    """The declared facts of backend `name` (read from source: no framework is imported)."""
    return _cached_declaration(name, _known(name))


def declarations() -> list[Declaration]:
    return [declaration(name) for name in names()]


def environments() -> list[Environment]:
    """Every environment of every backend: the main ones first, in registry order, then the
    variants."""
    decls = declarations()
    return [d.main for d in decls] + [env for d in decls for env in d.environments[1:]]


def load(name: str) -> Backend:
    """The backend called `name`; BackendUnavailable if its framework cannot load."""
    decl = declaration(name)
    check(decl)  # from the source: a missing name is named before the framework loads
    for variable, value in decl.environment.items():  # read by the framework at import
        os.environ.setdefault(variable, value)
    try:
        module = importlib.import_module(decl.module)
    except ImportError as exc:
        raise BackendUnavailable(
            f"backend {name!r} cannot import its framework ({exc}); in this environment run: "
            f"pip install -r {decl.main.requirements} (or use its nox session: nox -s {name})"
        ) from exc
    if getattr(module, "name", None) != name:
        raise ContractError(f"backend {name!r}: its module {decl.module} says name = {getattr(module, 'name', None)!r}")
    return Backend(decl, module)
