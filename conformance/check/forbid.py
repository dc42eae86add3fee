"""`check --forbid NAME,...`: the uses of forbidden functions in a target's source, found by
reading it, never by running it (this is the trusted process).

A forbidden name is dotted, as the module that defines it spells it (``module.sub.function``);
``builtins`` stands for the backend's declared list (its backend.toml's check.forbidden: the
framework's built-in convolutions and cross-correlations). The target's cells are read as
`check` runs them (`child.sources`: a notebook's code cells, a d2l chapter's cells of the
backend's tab), each parsed with `ast`; a cell's IPython lines (magics, shell escapes) become
`pass` first, keeping the line numbers (a %time'd statement and a %%time or %%writefile cell's
code stay Python), else IPython's own transformation of the cell is read (text to text), and
a cell that still does not parse is skipped with a note.

A name is resolved through the imports that bind it (``import a.b as x``, ``from a import b
as c``, ``from a import *``), the names assigned from them (``f = x.g``), attribute chains,
``getattr(x, "g")`` with a literal string and ``importlib.import_module("a.b")``, scope by
scope: a function's own names (its parameters, what it assigns or defines) hide the module's,
and a name defined in the cells (``def conv2d``) hides what an earlier import bound to it. A
forbidden name matches that name and everything under it (``a.b`` forbids ``a.b.c``); it
also matches the name as the target writes it through an import alias (``x.g``).

It is a lint of the source, not a proof: code that builds the name at run time (from strings,
``eval``, a helper module it imports) escapes it.
"""

import ast
import dataclasses
import pathlib
import re

from convsuite.conformance.check.child import sources

BUILTINS = "builtins"  # --forbid's word for the backend's declared list


@dataclasses.dataclass(frozen=True)
class Use:
    name: str  # the forbidden name it matches
    used: str  # what the code uses, resolved through its imports
    written: str  # as the code writes it
    where: str  # "line 12", "cell 3 (In [4]), line 2", "line 40 of chapter.md"
    code: str  # the source line

    def problem(self):
        by = "--forbid" if self.name == self.used else f"--forbid {self.name}"
        return f"uses {self.used} (forbidden by {by}) at {self.where}"

    def as_dict(self):
        return {"name": self.name, "used": self.used, "written": self.written, "where": self.where, "code": self.code}


@dataclasses.dataclass
class Lint:
    uses: list = dataclasses.field(default_factory=list)  # [Use]
    notes: list = dataclasses.field(default_factory=list)  # cells that were not linted, in words


def _dotted(item):
    parts = item.split(".")
    return len(parts) >= 2 and all(p.isidentifier() for p in parts)


def parse(text, declared, backend):
    """The forbidden names of `--forbid TEXT` (a comma list of dotted names and `builtins`,
    which is `declared`, the backend's list); ValueError (a usage error) for an empty item or
    one that is not a dotted name."""
    items, names = [part.strip() for part in text.split(",")], []
    if not all(items):
        raise ValueError(f"--forbid {text!r}: an empty item (give NAME,NAME,... of dotted names, or {BUILTINS})")
    for item in items:
        if item == BUILTINS:
            if not declared:
                raise ValueError(f"--forbid {BUILTINS}: the {backend} backend declares no built-in convolutions")
            names += declared
        elif _dotted(item):
            names.append(item)
        else:
            raise ValueError(f"--forbid {item!r}: not a dotted name (module.function, as its module spells it) "
                             f"nor {BUILTINS}")
    return list(dict.fromkeys(names))


# --- IPython lines, made Python with their line numbers kept -------------------------------

_MAGIC = re.compile(r"^(\s*)(?:[A-Za-z_][\w.]*\s*=\s*)?([%!])")
_TIMED = re.compile(r"^(\s*)%(?:time|timeit|prun)\s+(?:-\w+(?:\s+\d+)?\s+)*(.*)$")  # the statement it times
_HELP = re.compile(r"^\s*[\w.]*\?\??\s*$|^\s*\?")


def _plain(source):
    """The cell with its IPython-only lines as `pass` (a cell magic's first line too, so that
    a %%time or %%writefile cell's Python is read), line for line."""
    lines = []
    for line in source.split("\n"):
        timed, magic = _TIMED.match(line), _MAGIC.match(line)
        if timed and _parses(timed[2]):
            lines.append(timed[1] + timed[2])
        elif magic or _HELP.match(line):
            lines.append((magic[1] if magic else "") + "pass")
        else:
            lines.append(line)
    return "\n".join(lines)


def _parses(text):
    try:
        ast.parse(text)
    except SyntaxError:
        return False
    return True


def _ipython(source):
    """IPython's own transformation of the cell (text to text: nothing runs), for what _plain
    misses; its cell magics become a call with the cell as a string."""
    try:
        from IPython.core.inputtransformer2 import TransformerManager

        return TransformerManager().transform_cell(source)
    except Exception:  # no IPython, or a cell it cannot transform: _plain's word stands
        return source


def _tree(cell):
    """(tree, None), or (None, (line, why)) for a cell that is not Python even without its
    magics (or is nested too deeply for Python's parser, or holds a null byte)."""
    for make in [str] + ([_plain, _ipython] if cell.ipython else []):
        try:
            return ast.parse(make(cell.source)), None
        except SyntaxError as exc:
            error = (exc.lineno or 1, exc.msg)
        except (RecursionError, MemoryError, ValueError) as exc:
            error = (1, f"{type(exc).__name__}: {exc}")
    return None, error


# --- scopes and names -----------------------------------------------------------------------

class _Scope:
    """The names bound in one scope: name -> the dotted names it may stand for ([] for a
    name that is the code's own: a parameter, a variable, a def)."""

    def __init__(self, parent=None, local=(), function=False):
        self.parent, self.local, self.function = parent, set(local), function
        self.bound, self.stars = {}, []

    def lookup(self, name):
        """(dotted names, whether a statement binds it): a name no statement binds may come
        from a star import (each module's NAME), or be a builtin."""
        if name in self.bound:
            return self.bound[name], True
        if self.function and name in self.local:
            return [], True
        found, bound = self.parent.lookup(name) if self.parent is not None else ([], False)
        return (found, True) if bound else (found + [f"{module}.{name}" for module in self.stars], False)


def _own_names(nodes):
    """Every name the statements bind in their own scope (not in nested functions, classes or
    comprehensions), less those declared global or nonlocal."""
    names, free = set(), set()
    todo = list(nodes)
    while todo:
        node = todo.pop()
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
            todo += node.decorator_list + ([node.args] if not isinstance(node, ast.ClassDef) else node.bases)
            continue
        if isinstance(node, (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
            continue
        if isinstance(node, (ast.Global, ast.Nonlocal)):
            free.update(node.names)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, (ast.Store, ast.Del)):
            names.add(node.id)
        elif isinstance(node, (ast.Import, ast.ImportFrom)):
            names.update((a.asname or a.name).split(".")[0] for a in node.names if a.name != "*")
        elif isinstance(node, (ast.ExceptHandler, ast.MatchAs, ast.MatchStar)) and node.name:
            names.add(node.name)
        elif isinstance(node, ast.MatchMapping) and node.rest:
            names.add(node.rest)
        elif isinstance(node, ast.arguments):
            todo += [d for d in node.defaults + node.kw_defaults if d is not None]
            continue
        todo += list(ast.iter_child_nodes(node))
    return names - free


def _parameters(args):
    every = args.posonlyargs + args.args + args.kwonlyargs + [a for a in (args.vararg, args.kwarg) if a]
    return {a.arg for a in every}


class _Linter:
    def __init__(self, forbidden):
        self.forbidden = forbidden
        self.found = []  # (cell index, line, forbidden name, used, written)
        self.deferred = []  # (function node, the scope it was defined in, cell index)
        self.cell = 0

    def match(self, used):
        hits = [name for name in self.forbidden if used == name or used.startswith(name + ".")]
        return max(hits, key=len) if hits else None

    # a name, an attribute chain, getattr(x, "y"), importlib.import_module("a.b")
    def chain(self, node, scope):
        """(dotted names it may stand for, as written) or None."""
        if isinstance(node, ast.Name):
            found, _ = scope.lookup(node.id)
            return (found, node.id) if found else None
        if isinstance(node, ast.Attribute):
            inner = self.chain(node.value, scope)
            return inner and ([f"{d}.{node.attr}" for d in inner[0]], f"{inner[1]}.{node.attr}")
        if isinstance(node, ast.Call) and node.args and self._literal(node.args[0]):
            module = node.args[0].value
            if self.builtin("__import__", node.func, scope):  # the package, or with a fromlist the module
                fromlist = len(node.args) >= 4 or any(k.arg == "fromlist" for k in node.keywords)
                return [module if fromlist else module.split(".")[0]], f"__import__({module!r})"
            callee = self.chain(node.func, scope)
            if callee and "importlib.import_module" in callee[0]:
                return [module], f"import_module({module!r})"
        if isinstance(node, ast.Call) and len(node.args) in (2, 3) and self.builtin("getattr", node.func, scope) \
                and self._literal(node.args[1]) and node.args[1].value.isidentifier():
            inner = self.chain(node.args[0], scope)
            attribute = node.args[1].value
            return inner and ([f"{d}.{attribute}" for d in inner[0]], f"getattr({inner[1]}, {attribute!r})")
        return None

    @staticmethod
    def _literal(node):
        return isinstance(node, ast.Constant) and isinstance(node.value, str)

    @staticmethod
    def builtin(name, func, scope):
        return isinstance(func, ast.Name) and func.id == name and not scope.lookup(name)[1]  # not rebound

    def report(self, node, scope):
        """Whether `node` is a use of a forbidden name (then reported)."""
        resolved = self.chain(node, scope)
        if not resolved:
            return False
        candidates, written = resolved
        for used in candidates + [written]:
            name = self.match(used)
            if name:
                self.found.append((self.cell, node.lineno, name, used if used != written else candidates[0], written))
                return True
        return False

    # expressions
    def expr(self, node, scope):
        if node is None:
            return
        if isinstance(node, (ast.Name, ast.Attribute, ast.Call)) and getattr(node, "ctx", ast.Load()).__class__ \
                is ast.Load and self.report(node, scope):
            if isinstance(node, ast.Call):  # the arguments may use forbidden names too
                for child in node.args[1:] + [k.value for k in node.keywords]:
                    self.expr(child, scope)
            return
        if isinstance(node, ast.Name):
            if not isinstance(node.ctx, ast.Load):
                scope.bound[node.id] = []
            return
        if isinstance(node, ast.NamedExpr):
            self.expr(node.value, scope)
            self.bind(node.target, node.value, scope)
            return
        if isinstance(node, ast.Lambda):
            self.arguments(node.args, scope)
            inner = _Scope(scope, _parameters(node.args), function=True)
            self.expr(node.body, inner)
            return
        if isinstance(node, (ast.ListComp, ast.SetComp, ast.DictComp, ast.GeneratorExp)):
            inner = _Scope(scope, function=True)
            for index, generator in enumerate(node.generators):
                self.expr(generator.iter, scope if index == 0 else inner)
                self.expr(generator.target, inner)
                for condition in generator.ifs:
                    self.expr(condition, inner)
            for part in ([node.key, node.value] if isinstance(node, ast.DictComp) else [node.elt]):
                self.expr(part, inner)
            return
        for child in ast.iter_child_nodes(node):
            self.node(child, scope)

    def bind(self, target, value, scope):
        """Bind an assignment's target: a single name assigned a chain stands for what it does."""
        resolved = self.chain(value, scope) if value is not None and isinstance(target, ast.Name) else None
        if resolved and isinstance(target, ast.Name):
            scope.bound[target.id] = resolved[0]
        else:
            self.expr(target, scope)

    def arguments(self, args, scope):
        for default in args.defaults + [d for d in args.kw_defaults if d is not None]:
            self.expr(default, scope)
        for a in args.posonlyargs + args.args + args.kwonlyargs + [x for x in (args.vararg, args.kwarg) if x]:
            self.expr(a.annotation, scope)

    # statements
    def body(self, statements, scope):
        for statement in statements:
            self.statement(statement, scope)

    def node(self, node, scope):
        if isinstance(node, ast.stmt):
            self.statement(node, scope)
        elif isinstance(node, ast.expr):
            self.expr(node, scope)
        else:  # handlers, with-items, match cases, patterns, keywords, comprehensions
            for name, value in ast.iter_fields(node):
                if name in ("name", "rest") and isinstance(value, str):
                    scope.bound[value] = []
                elif isinstance(value, ast.AST):
                    self.node(value, scope)
                elif isinstance(value, list):
                    for item in value:
                        if isinstance(item, ast.AST):
                            self.node(item, scope)

    def statement(self, node, scope):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    scope.bound[alias.asname] = [alias.name]
                else:
                    top = alias.name.split(".")[0]
                    scope.bound[top] = [top]
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
            for alias in node.names:
                if alias.name == "*":
                    if not node.level:
                        scope.stars.append(module)
                else:
                    scope.bound[alias.asname or alias.name] = [] if node.level else [f"{module}.{alias.name}"]
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            for decorator in node.decorator_list:
                self.expr(decorator, scope)
            self.arguments(node.args, scope)
            self.expr(node.returns, scope)
            scope.bound[node.name] = []
            self.deferred.append((node, scope, self.cell))
        elif isinstance(node, ast.ClassDef):
            for part in node.decorator_list + node.bases + [k.value for k in node.keywords]:
                self.expr(part, scope)
            inner = _Scope(scope)  # its methods see the enclosing scope, not the class's
            for statement in node.body:
                if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    for decorator in statement.decorator_list:
                        self.expr(decorator, inner)
                    self.arguments(statement.args, inner)
                    self.expr(statement.returns, inner)
                    inner.bound[statement.name] = []
                    self.deferred.append((statement, scope, self.cell))
                else:
                    self.statement(statement, inner)
            scope.bound[node.name] = []
        elif isinstance(node, ast.Assign):
            self.expr(node.value, scope)
            for target in node.targets:
                self.bind(target, node.value if len(node.targets) == 1 else None, scope)
        elif isinstance(node, (ast.AnnAssign, ast.AugAssign)):
            self.expr(node.value, scope)
            self.expr(getattr(node, "annotation", None), scope)
            self.bind(node.target, node.value if isinstance(node, ast.AnnAssign) else None, scope)
        elif isinstance(node, (ast.For, ast.AsyncFor)):
            self.expr(node.iter, scope)
            self.expr(node.target, scope)
            self.body(node.body + node.orelse, scope)
        else:
            for child in ast.iter_child_nodes(node):
                self.node(child, scope)

    def module(self, trees):
        """Lint the cells' trees in order, then the functions they define (whose names are
        looked up when they run: after every cell)."""
        scope, skipped = _Scope(), []
        for self.cell, tree in trees:
            for statement in tree.body:
                self.guarded(statement, scope, skipped)
        while self.deferred:
            node, parent, self.cell = self.deferred.pop(0)
            inner = _Scope(parent, _own_names(node.body) | _parameters(node.args), function=True)
            for statement in node.body:
                self.guarded(statement, inner, skipped)
        return skipped

    def guarded(self, statement, scope, skipped):
        """Lint one statement; one nested too deeply to walk is skipped: (cell, line)."""
        try:
            self.statement(statement, scope)
        except RecursionError:
            skipped.append((self.cell, statement.lineno))


def lint_cells(cells, forbidden, python_file=False):
    """The forbidden names the cells use, and the cells that could not be read."""
    lint, trees = Lint(), []
    where = lambda cell, line: f"line {line}" if python_file else cell.where(line)  # noqa: E731
    for index, cell in enumerate(cells):
        tree, error = _tree(cell)
        if tree is None:
            what = "the file" if python_file else f"the cell at line {cell.first_line} of {cell.label}" \
                if cell.first_line else cell.label
            lint.notes.append(f"--forbid: {what} does not parse as Python ({where(cell, error[0])}: {error[1]}): "
                              "not linted")
        else:
            trees.append((index, tree))
    linter = _Linter(list(forbidden))
    for index, line in linter.module(trees):
        lint.notes.append(f"--forbid: the statement at {where(cells[index], line)} is nested too deeply to "
                          "lint: not linted")
    seen = set()
    for index, line, name, used, written in sorted(linter.found, key=lambda f: (f[0], f[1])):
        cell, at = cells[index], where(cells[index], line)
        if (at, name, used) in seen:
            continue
        seen.add((at, name, used))
        lines = cell.source.split("\n")
        code = lines[line - 1].strip() if 0 < line <= len(lines) else ""
        lint.uses.append(Use(name, used, written, at, code))
    return lint


def lint(paths, tabs, forbidden):
    """The Lint of a target's files, read as `check` reads them (`tabs`: the chapter tabs to
    look for) and linted as the one program they run as (a student's files: imports in one hold
    in the next); a file that cannot be read is left out (the child says so, as an input error)."""
    cells, notes = [], []
    for path in paths:
        try:
            read = sources.read(path, tabs)[0]
        except (sources.InputError, OSError, UnicodeDecodeError):
            continue
        except ImportError as exc:  # the library that reads this kind of file: the child says it too
            notes.append(f"--forbid: {path} was not linted: {exc}")
            continue
        if len(paths) > 1:  # which file's "cell 3"
            read = [c if c.first_line else dataclasses.replace(c, label=f"{pathlib.Path(path).name} {c.label}")
                    for c in read]
        cells += read
    one_file = len(paths) == 1 and sources.kind_of(paths[0]) == "python"
    found = lint_cells(cells, forbidden, python_file=one_file)
    found.notes[:0] = notes
    return found
