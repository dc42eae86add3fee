"""The backends' source as the porting guide shows it: each topic's public names per backend,
each read from the file of the backend's folder that defines it, with the private helpers of
that file it calls. Read with `ast`, never imported (so the guide builds in any environment,
whichever frameworks it lacks), and the idioms' snippets checked against that code."""

import ast
import functools
import pathlib
from dataclasses import dataclass

from convsuite import backends
from convsuite.backends import contract, facts
from convsuite.conformance.porting import idioms

ROOT = pathlib.Path(backends.__file__).resolve().parent.parent
GUIDE = "docs/porting-guide.md"


class GuideError(backends.ContractError):
    """The backends' source no longer matches what the guide says about it: a backend's
    backend.toml that its code contradicts (one line and exit 2, like every contract error)."""


@dataclass(frozen=True)
class Topic:
    key: str
    title: str
    # The public names it shows, in the order it shows their files: names of the contract
    # (backends/contract.py), so every backend defines them. A backend's private helpers come
    # with the definitions that call them, never by name.
    names: tuple
    # The capability these names belong to (contract.CAPABILITIES); None: REQUIRED names. A
    # backend that does not declare the capability shows none of the topic.
    capability: str = None

    @property
    def optional(self):
        return self.capability is not None


TOPICS = (
    Topic("corr2d", "cross-correlation: the lesson's loops (`corr2d_loop`) and the fast path",
          ("corr2d_loop", "corr2d")),
    Topic("conv2d", "true convolution: flip the kernel, then cross-correlate", ("PATHS", "conv2d")),
    Topic("Conv2D", "the lesson's Conv2D layer, as the framework's own kind of layer, and the layer "
          "each path sets up", ("Conv2D", "layer_forward")),
    Topic("builtin", "the framework's own conv layer: input layout, weight shape, padding",
          ("BuiltinConv2D", "corr2d_builtin")),
    Topic("learn", "the training step: the kernel-learning loop", ("learn",)),
    Topic("grad", "gradients of sum(G * layer(X)) from the framework's autograd", ("grad",)),
    Topic("compiled", "the compiled path, where the backend declares one: corr2d and the whole "
          "learning loop, compiled by the framework", contract.CAPABILITIES["compiled"], capability="compiled"),
)


@dataclass(frozen=True)
class Definition:
    name: str
    file: str  # the backend's file that defines it, relative to the repository root
    line: int  # its first line in the file, the comment above it included
    code: str
    helpers: frozenset  # (file, name) of each private name of its own file it refers to
    helpers_elsewhere: frozenset = frozenset()  # and of each it imports from the backend's other files


@dataclass(frozen=True)
class Section:
    """One topic in one backend: its definitions, file by file in the order of the topic's
    names and in file order within each, the files they come from, and the helpers they call
    that another topic shows (helper -> that topic)."""

    definitions: tuple
    elsewhere: dict
    files: tuple

    @property
    def code(self):
        return "\n\n\n".join(d.code for d in self.definitions)


@dataclass(frozen=True)
class Source:
    backend: str
    path: str  # its folder, relative to the repository root
    facts: str  # its backend.toml, which states its idioms
    sections: dict  # topic key -> Section


def relative_path(path):
    """A path as the guide prints it: relative to the repository root, where it lies inside it."""
    path = pathlib.Path(path).resolve()
    return path.relative_to(ROOT).as_posix() if path.is_relative_to(ROOT) else str(path)


def check_topics(topics):
    """Every name a topic shows is one the contract makes every backend (or every backend with
    the topic's capability) define: the guide never looks up a backend's private names."""
    for topic in topics:
        if topic.capability is not None and topic.capability not in contract.CAPABILITIES:
            raise GuideError(f"topic {topic.key}: unknown capability {topic.capability!r}; "
                             f"capabilities: {sorted(contract.CAPABILITIES)}")
        offered = contract.CAPABILITIES[topic.capability] if topic.optional else contract.REQUIRED
        if stray := [name for name in topic.names if name not in offered]:
            where = f"CAPABILITIES[{topic.capability!r}]" if topic.optional else "REQUIRED"
            raise GuideError(f"topic {topic.key} shows {', '.join(stray)}, which backends/contract.py's "
                             f"{where} does not name; a topic shows public names only")


def _imported_helpers(tree, path, package):
    """{local name: (file, name)} of the private names a file imports from its backend's
    other files (`from .builtin import _pad`)."""
    found = {}
    for node in ast.walk(tree):
        if not isinstance(node, ast.ImportFrom) or not node.module:
            continue
        if node.level == 1:
            module = node.module
        elif node.level == 0 and node.module.startswith(package + "."):
            module = node.module.removeprefix(package + ".")
        else:
            continue
        file = path.parent.joinpath(*module.split(".")).with_suffix(".py")
        found.update((alias.asname or alias.name, (file, alias.name)) for alias in node.names
                     if _private(alias.name) and file.is_file())
    return found


def _private(name):
    return name.startswith("_") and not name.startswith("__")


def _definitions(path, package):
    """{name: Definition} of every top-level function, class and assignment of one file of
    the backend whose package is `package`."""
    text = path.read_text()
    lines, tree = text.splitlines(), ast.parse(text, str(path))
    top = {}
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            top[node.name] = node
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):  # PATHS = {...}
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                names = target.elts if isinstance(target, ast.Tuple) else [target]
                top.update((n.id, node) for n in names if isinstance(n, ast.Name))
    imported = _imported_helpers(tree, path, package)
    definitions = {}
    for name, node in top.items():
        first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
        while first > 1 and lines[first - 2].startswith("#"):  # the comment that says why
            first -= 1
        used = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
        helpers = frozenset((path, n) for n in used if n in top and _private(n) and n != name)
        helpers_elsewhere = frozenset(imported[n] for n in used if n in imported and n not in top)
        code = "\n".join(lines[first - 1 : node.end_lineno])
        definitions[name] = Definition(name, relative_path(path), first, code, helpers, helpers_elsewhere)
    return definitions


def _located(declaration, topic):
    """{name: file} of the topic's names in one backend, each from the file that defines it;
    {} where the backend does not declare the topic's capability."""
    if topic.optional and not declaration.offers(topic.capability):
        return {}
    try:
        return {name: declaration.source_of(name) for name in topic.names}
    except backends.ContractError as exc:
        kind = f"of its declared capability {topic.capability!r}" if topic.optional else "every backend offers"
        raise GuideError(f"{exc} (topic {topic.key}; {kind}: the names of backends/contract.py)") from None


def _sections(declaration):
    """Every topic's definitions in one backend. A private helper goes with the first topic
    whose code in the helper's own file calls it, else (a helper that only other files call)
    with the first topic whose code calls it; other topics only point at it."""
    defined = functools.cache(lambda path: _definitions(path, declaration.module))  # each file parsed once
    located = {topic.key: _located(declaration, topic) for topic in TOPICS}
    owner = {(file, name): key for key, found in located.items() for name, file in found.items()}
    shown = {key: [(file, name) for name, file in found.items()] for key, found in located.items()}
    elsewhere = {key: {} for key in located}
    for across_files in (False, True):  # each file's own helpers first: they go with the code beside them
        for key, items in shown.items():
            todo = list(items)
            while todo:
                file, name = todo.pop()
                definition = defined(file)[name]
                calls = definition.helpers | (definition.helpers_elsewhere if across_files else frozenset())
                for helper in sorted(calls):
                    if helper[1] not in defined(helper[0]):  # re-exported from a third file: not followed
                        continue
                    if owner.setdefault(helper, key) != key:
                        elsewhere[key][helper[1]] = owner[helper]
                    elif helper not in items:
                        items.append(helper)
                        todo.append(helper)
    sections = {}
    for key, items in shown.items():
        files = list(dict.fromkeys(relative_path(file) for file, _ in items))  # the topic's names' files first
        ordered = sorted((defined(file)[name] for file, name in items), key=lambda d: (files.index(d.file), d.line))
        sections[key] = Section(tuple(ordered), dict(sorted(elsewhere[key].items())), tuple(files))
    return sections


def read_sources():
    """{backend: Source} in registry order, the idioms checked against them."""
    check_topics(TOPICS)
    sources = {}
    for declaration in backends.declarations():
        sources[declaration.name] = Source(declaration.name, relative_path(declaration.folder),
                                           relative_path(declaration.folder / facts.FACTS), _sections(declaration))
    check_idioms(sources)
    return sources


def check_idioms(sources):
    """Every snippet must occur verbatim in the code its idiom's topics show for that backend."""
    keys = {topic.key for topic in TOPICS}
    for idiom in idioms.IDIOMS:
        if unknown := set(idiom.topics) - keys:
            raise GuideError(f"idiom {idiom.name!r} names unknown topic(s) {sorted(unknown)}")
        for backend, how in idiom.ways.items():
            if backend not in sources:
                raise GuideError(f"idiom {idiom.name!r} names backend {backend!r}, which backends/registry.py "
                                 "does not register")
            source = sources[backend]
            sections = [source.sections[key] for key in idiom.topics]
            code = "\n".join(section.code for section in sections)
            shown_in = ", ".join(dict.fromkeys(file for section in sections for file in section.files))
            for snippet in how.snippets:
                if snippet not in code:
                    raise GuideError(
                        f"idiom {idiom.name!r}: the {backend} snippet {snippet!r} does not occur in the "
                        f"code of topic(s) {', '.join(idiom.topics)} ({shown_in or 'none shown'}); "
                        f"make {source.facts}'s idioms say what the code does now")


def idioms_of(topic_key):
    return [idiom for idiom in idioms.IDIOMS if topic_key in idiom.topics]


# What an optional topic shows for a backend that does not declare its capability.
NONE = "({name} defines none of this topic; see its idioms)"
