"""What a backend is: the names its package must define, the capabilities it may declare, and
the facts it declares about itself (its folder's ``backend.toml``), read without importing
its framework.

A backend is a folder, ``backends/NAME/`` (as Keras 3 keeps ``keras/src/backend/<framework>/``),
holding the same modules in each: ``tensors.py`` (its adapter: arrays in and out, and what
`check` needs of the framework), ``loop.py`` (the lesson's loops), ``fast.py``,
``builtin.py`` (the framework's own layer), ``layer.py`` (the lesson's Conv2D, its gradients and
learning loop), ``compiled.py`` where it declares a compiled path, and ``paths.py``; its facts
(``backend.toml``), its requirements and its documented differences (``differences.toml``,
`spec.differences`). Its package's ``__init__`` names the public API. X, K and the result are
framework tensors, `geometry` a `spec.shapes.Geometry`, and `path` is "fast" (the vectorized
corr2d and the lesson's Conv2D), "builtin" (the framework's own conv layer), "compiled" or
"loop" (the lesson's loops).

The adapter, ``tensors.py``, is all that `check`'s sandboxed child sees of a backend (mounted
read-only, alone, as ``_check_framework``): it imports only its framework and NumPy, never
`spec` or the backend's other modules. It defines `asarray(array)` (a NumPy array as the
framework's tensor), `to_numpy(tensor)`, `versions()`, and optionally `seed(value)`,
`foreign_input(tensor)` (the tensor in the form the lesson's code expects) and the layer's
ways (`conformance.check.child.layers`): `bring_to_life(layer, X)`, `set_parameter(holder,
tensor)`, `parameters_of(layer)`. Importing it makes the settings the backend makes at import
(determinism, 64-bit floats).

nox builds the backend's environment, the fuzzer and the bench start its worker, and the
porting guide shows its idioms, all in environments that lack the framework itself:
`backends.facts` reads the facts into a Declaration.
"""

import ast
import pathlib
import types
from dataclasses import dataclass
from typing import Any

# name -> what it is. Every backend module must define all of them.
REQUIRED = {
    "name": "the backend's registry name",
    "versions": "versions() -> {'framework': 'NAME VERSION[, ...]'}",
    "asarray": "asarray(numpy_array) -> tensor, keeping the dtype",
    "to_numpy": "to_numpy(tensor) -> NumPy array, keeping the dtype",
    "corr2d": "corr2d(X, K, geometry): the fast path",
    "corr2d_builtin": "corr2d_builtin(X, K, geometry): the framework's own conv layer",
    "corr2d_loop": "corr2d_loop(X, K, geometry): the lesson's loops",
    "PATHS": "{'fast': corr2d, 'builtin': corr2d_builtin, 'loop': corr2d_loop[, 'compiled': ...]}",
    "conv2d": "conv2d(X, K, geometry, *, path=...): true convolution (flipped kernel)",
    "Conv2D": "the lesson's layer, as the framework's own kind of layer",
    "BuiltinConv2D": "the framework's conv layer, taking the case's shapes",
    "layer_forward": "layer_forward(X, weight, bias, *, geometry, path=...)",
    "grad": "grad(X, K, bias, *, G, geometry, path=...) -> (dX, dK, db) of sum(G * layer(X))",
    "learn": "learn(X, Y, K_init, *, lr, steps, path, bias, learn_bias, geometry) -> (losses, K, bias)",
    "bare_loop": "bare_loop(X, Y, K, *, lr, steps) -> a call running the lesson's loop bare "
                 "(the framework's own layer, no bias): the bench's yardstick",
}

# capability -> the names a backend that declares it must define (and one that does not
# declare it must not: an undeclared compiled path would never run).
CAPABILITIES = {
    "compiled": ("corr2d_compiled", "learn_compiled"),  # a compiled fast form and learning loop
    "wait": ("wait",),  # wait(tensor) -> tensor once computed (asynchronous frameworks)
    "compiles_every_path": (),  # every path compiles per shape: the fuzzer samples its cases
    # foreign_input(tensor) -> the array form a learner's code expects of the backend's tensor,
    # read from the framework's state after the code has run (`check` hands it its inputs)
    "foreign_input": ("foreign_input",),
    # seed(value) seeds the framework's global generator before a learner's code runs: with
    # op determinism on, TensorFlow refuses random ops that nothing seeded
    "seed": ("seed",),
}

class ContractError(ValueError):
    """A backend module that does not meet the contract: the message names what is missing."""


@dataclass(frozen=True)
class Environment:
    """One environment (and nox session) a backend runs in."""

    session: str
    python: str
    requirements: str
    results: str
    default: bool  # in the test command and the matrix (the main environment), or on request
    why: str = ""


@dataclass(frozen=True)
class Threshold:
    """A size at which the backend's code changes form: cases whose `measure`
    (`spec.shapes.MEASURES`) is at most `limit` take one form, the others another, for the
    `ops` listed and the cases `when` holds for ({measure: [low, high]}, None: unbounded).
    `limit` is a number or the name of the module constant that holds it; `code` names the
    function whose form changes (the planted-bug tests edit it)."""

    name: str
    measure: str
    limit: object
    ops: tuple
    when: dict
    code: str = ""

    def applies(self, op: str, geometry: Any) -> bool:  # geometry: a spec.shapes.ResolvedGeometry
        return op in self.ops and all(
            (low is None or geometry.measure(m) >= low) and (high is None or geometry.measure(m) <= high)
            for m, (low, high) in self.when.items())


@dataclass(frozen=True)
class Declaration:
    name: str
    module: str  # its package, "convsuite.backends.NAME"
    path: pathlib.Path  # the package's __init__.py, which names its public API
    framework: str
    environments: tuple  # the main Environment first, then the variants
    flushes_subnormals: bool
    environment: dict
    threads: tuple
    layer_bases: tuple
    capabilities: frozenset
    idioms: dict
    thresholds: tuple = ()
    compile_cache: str = None  # None: nothing compiled persists between runs
    check: dict = None  # backends.facts.CHECK_FIELDS, completed with their defaults
    cannot: tuple = ()  # backends.facts.CANNOT_FIELDS dicts

    @property
    def main(self):
        return self.environments[0]

    @property
    def folder(self):
        """backends/NAME/: everything about the framework."""
        return self.path.parent

    @property
    def adapter(self):
        """Its tensors.py: arrays in and out, and what `check`'s sandbox needs of the framework
        (the only file of the backend a sandboxed child sees)."""
        return self.folder / "tensors.py"

    def sources(self):
        """Its Python files, the package's __init__ first, then by name."""
        return [self.path, *sorted(p for p in self.folder.glob("*.py") if p != self.path)]

    def source_of(self, name):
        """The file of the backend that defines `name` at its top level (not by importing it):
        the module its package's __init__ imports `name` from, where it does (another file may
        define a name of its own: NumPy's kernels.py has a `learn` kernel), else the first
        file that defines it."""
        exported = _exported_from(_source_tree(self.path), self.folder, self.module).get(name)
        for path in [exported] * (exported is not None) + self.sources()[1:] + [self.path]:
            tree = _source_tree(path)
            if any(getattr(node, "name", None) == name for node in tree.body) or name in _assigned(tree):
                return path
        raise ContractError(f"backend {self.name!r}: no file in {self.folder} defines {name!r}")

    def offers(self, capability: str) -> bool:
        if capability not in CAPABILITIES:
            raise ValueError(f"unknown capability {capability!r}; capabilities: {sorted(CAPABILITIES)}")
        return capability in self.capabilities

    def constant(self, name):
        """The value of a module-level constant of one of its files, evaluated from its
        source (`1 << 15`)."""
        for path in self.sources():
            value = _assigned(_source_tree(path)).get(name)
            if value is not None:
                code = compile(ast.Expression(value), str(path), "eval")
                return eval(code, {"__builtins__": {}})  # constant arithmetic only
        raise ContractError(f"{self.folder}: no module constant {name!r}")

    def limit(self, threshold: Threshold) -> Any:  # a number, or a module constant's value
        return self.constant(threshold.limit) if isinstance(threshold.limit, str) else threshold.limit

    def defined_names(self):
        """The names the module defines at its top level, read from its source."""
        return _top_level_names(_source_tree(self.path))

    def missing(self):
        """What the module lacks, or defines without declaring, in words ([] when it conforms)."""
        defined = self.defined_names()
        problems = [f"required name {n!r} ({REQUIRED[n]})" for n in REQUIRED if n not in defined]
        for capability, names in CAPABILITIES.items():
            for n in names:
                if capability in self.capabilities and n not in defined:
                    problems.append(f"name {n!r} of its declared capability {capability!r}")
                if capability not in self.capabilities and n in defined:
                    problems.append(f"capability {capability!r}, whose name {n!r} it defines")
        return problems


def _source_tree(path):
    return ast.parse(pathlib.Path(path).read_text(), filename=str(path))


def _exported_from(tree, folder, package):
    """{name: file} of the names a package's __init__ imports, unrenamed, from its own modules
    (`from .fast import corr2d`)."""
    found = {}
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and node.module:
            if node.level == 1 or (node.level == 0 and node.module.startswith(package + ".")):
                module = node.module if node.level else node.module.removeprefix(package + ".")
                file = folder.joinpath(*module.split(".")).with_suffix(".py")
                found.update((alias.name, file) for alias in node.names if alias.asname is None)
    return found


def _assigned(tree):
    """{name: value expression} of a module's top-level NAME = value (and A, B = a, b)."""
    found = {}
    for node in tree.body:
        if isinstance(node, ast.Assign):
            for target in node.targets:
                pairs = zip(target.elts, node.value.elts) if isinstance(target, ast.Tuple) else [(target, node.value)]
                found.update((key.id, value) for key, value in pairs if isinstance(key, ast.Name))
    return found


def _top_level_names(tree):
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef, ast.AsyncFunctionDef)):
            names.add(node.name)
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            names.update(t.id for t in targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.ImportFrom) and (node.level or (node.module or "").startswith("convsuite.backends.")):
            names.update(alias.asname or alias.name for alias in node.names)  # its own modules' names
    return names


def check(decl: "Declaration") -> None:
    """Raise ContractError, naming every problem, unless the module meets the contract."""
    problems = decl.missing()
    if problems:
        raise ContractError(f"backend {decl.name!r} ({decl.path}) lacks " + "; ".join(problems))


class Backend:
    """A loaded backend: its module's names, and what its declaration says it can do.

    Attribute access reaches the module (``backend.corr2d``), so a test that patches the
    module patches the backend."""

    def __init__(self, decl: "Declaration", module: types.ModuleType) -> None:
        self.declaration, self.module = decl, module

    def __getattr__(self, attribute: str) -> Any:  # the contract's names: framework code, untyped
        return getattr(self.module, attribute)

    def offers(self, capability: str) -> bool:
        return self.declaration.offers(capability)

    def wait(self, tensor: Any) -> Any:
        """The tensor once computed, so that a timer stops when the work is done."""
        return self.module.wait(tensor) if self.offers("wait") else tensor

    def __repr__(self) -> str:
        return f"<backend {self.declaration.name} ({self.declaration.module})>"
