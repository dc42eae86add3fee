"""The backends' source as the porting guide shows it: each topic's definitions per backend,
read with `ast`, never imported (so the guide builds in any environment, whichever
frameworks it lacks), and the idioms' snippets checked against that code."""

import ast
import pathlib
from dataclasses import dataclass

from convsuite import backends
from convsuite.conformance.porting import idioms

ROOT = pathlib.Path(backends.__file__).resolve().parent.parent
GUIDE = "docs/porting-guide.md"


class GuideError(backends.ContractError):
    """The backends' source no longer matches what the guide says about it: a backend's
    DECLARATION that its code contradicts (one line and exit 2, like every contract error)."""


@dataclass(frozen=True)
class Topic:
    key: str
    title: str
    # What it shows, found by name in every backend. Public names are the shared API of
    # backends/contract.py, so a backend without one is an error; private ones are optional.
    names: tuple
    # Names only some backends define (the compiled path): a backend without them shows none.
    optional: bool = False


TOPICS = (
    Topic("corr2d", "cross-correlation: the lesson's loops (`corr2d_loop`) and the fast form",
          ("_corr2d_single", "corr2d_loop", "corr2d")),
    Topic("conv2d", "true convolution: flip the kernel, then cross-correlate", ("FORMS", "conv2d")),
    Topic("Conv2D", "the lesson's Conv2D layer, as the framework's own kind of layer",
          ("Conv2D", "layer_forward")),
    Topic("builtin", "the framework's own conv layer: input layout, weight shape, padding",
          ("_pad", "_padded", "_unpadded", "BuiltinConv2D", "corr2d_builtin")),
    Topic("learn", "the training step: the kernel-learning loop and the layer it sets up",
          ("_layer", "_initialized", "learn")),
    Topic("grad", "gradients of sum(G * layer(X)) from the framework's autograd", ("grad",)),
    Topic("compiled", "the compiled path, where the backend declares one: corr2d and the whole "
          "learning loop, compiled by the framework", ("corr2d_compiled", "learn_compiled"), optional=True),
)


@dataclass(frozen=True)
class Definition:
    name: str
    line: int  # its first line in the file, the comment above it included
    code: str
    helpers: frozenset  # the module's private names it refers to


@dataclass(frozen=True)
class Section:
    """One topic in one backend: its definitions in file order, and the helpers it calls that
    another topic shows (helper -> that topic)."""

    definitions: tuple
    elsewhere: dict

    @property
    def code(self):
        return "\n\n\n".join(d.code for d in self.definitions)


@dataclass(frozen=True)
class Source:
    backend: str
    path: str  # relative to the repository root
    sections: dict  # topic key -> Section


def backend_files():
    """{backend: file} for every registered backend, in registry order (found, not run)."""
    return {d.name: d.path.resolve() for d in backends.declarations()}


def _definitions(text, filename):
    lines = text.splitlines()
    top = {}
    for node in ast.parse(text, filename).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            top[node.name] = node
        elif isinstance(node, ast.Assign):  # FORMS = {...}
            top.update((target.id, node) for target in node.targets if isinstance(target, ast.Name))
    definitions = {}
    for name, node in top.items():
        first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
        while first > 1 and lines[first - 2].startswith("#"):  # the comment that says why
            first -= 1
        used = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}
        private = {n for n in used if n in top and n.startswith("_") and not n.startswith("__")}
        helpers = frozenset(private - {name})
        definitions[name] = Definition(name, first, "\n".join(lines[first - 1 : node.end_lineno]), helpers)
    return definitions


def _sections(definitions, path):
    """Every topic's definitions. A private helper goes with the topic that names it, else with
    the first topic whose code calls it; later topics only point at it."""
    owner = {name: topic.key for topic in TOPICS for name in topic.names if name in definitions}
    sections = {}
    for topic in TOPICS:
        missing = [n for n in topic.names if not n.startswith("_") and n not in definitions]
        if missing and not topic.optional:
            raise GuideError(f"{path} defines no {', '.join(missing)} (topic {topic.key}); every backend "
                             "offers the names of backends/contract.py")
        shown = [n for n in topic.names if n in definitions]
        elsewhere, todo = {}, list(shown)
        while todo:
            for helper in sorted(definitions[todo.pop()].helpers):
                if owner.setdefault(helper, topic.key) != topic.key:
                    elsewhere[helper] = owner[helper]
                elif helper not in shown:
                    shown.append(helper)
                    todo.append(helper)
        ordered = sorted((definitions[n] for n in shown), key=lambda d: d.line)
        sections[topic.key] = Section(tuple(ordered), dict(sorted(elsewhere.items())))
    return sections


def read_sources():
    """{backend: Source} in registry order, the idioms checked against them."""
    sources = {}
    for name, file in backend_files().items():
        path = file.relative_to(ROOT).as_posix() if file.is_relative_to(ROOT) else str(file)
        sources[name] = Source(name, path, _sections(_definitions(file.read_text(), path), path))
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
            code = "\n".join(source.sections[key].code for key in idiom.topics)
            for snippet in how.snippets:
                if snippet not in code:
                    raise GuideError(
                        f"idiom {idiom.name!r}: the {backend} snippet {snippet!r} does not occur in the "
                        f"code of topic(s) {', '.join(idiom.topics)} in {source.path}; make its "
                        "DECLARATION's idioms say what the code does now")


def idioms_of(topic_key):
    return [idiom for idiom in idioms.IDIOMS if topic_key in idiom.topics]


# What an optional topic shows for a backend that defines none of its names.
NONE = "({name} defines none of this topic; see its idioms)"
