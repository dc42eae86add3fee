"""The porting guide, generated from the backends' own source.

    python -m conformance port corr2d --from mxnet --to torch   one topic, two backends, side by side
    python -m conformance port --list                            the topics, backends and idioms
    python -m conformance port --write docs/porting-guide.md     every topic in every backend

Each backend file is read with `ast`, never imported, so the guide builds in any environment,
whichever frameworks it lacks, and shows the code exactly as it runs. The idioms that differ
between frameworks are data (idiom -> backend -> snippets), and every snippet is checked to
occur verbatim in the code the guide shows next to it: when a backend changes, the generator
fails instead of describing code that is gone. PORTING.md keeps the hand-written notes.
"""

import ast
import os
import pathlib
import shutil
import sys
import textwrap
from dataclasses import dataclass
from itertools import zip_longest

import backends
from conformance.porting.idioms import IDIOMS

ROOT = pathlib.Path(backends.__file__).resolve().parent.parent
GUIDE = "docs/porting-guide.md"
# Below this many characters a column wraps nearly every line: print one backend after the other.
MIN_COLUMN = 50


class GuideError(Exception):
    """The backends' source no longer matches what the guide says about it."""


@dataclass(frozen=True)
class Topic:
    key: str
    title: str
    # What it shows, found by name in every backend. Public names are the shared API of
    # backends/__init__.py, so a backend without one is an error; private ones are optional.
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
          ("_pad", "_padded", "BuiltinConv2D", "corr2d_builtin")),
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
    for idiom in IDIOMS:
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
    return [idiom for idiom in IDIOMS if topic_key in idiom.topics]


# ---- the terminal view ---------------------------------------------------------------------

def _wrap(line, width):
    """A code line in pieces of at most `width`, continuations indented under it."""
    if len(line) <= width:
        return [line]
    indent = line[: len(line) - len(line.lstrip())][: width // 2]
    return textwrap.wrap(line, width, subsequent_indent=indent + "    ", break_on_hyphens=False) or [line]


def _clip(text, width):
    return text if len(text) <= width else text[: width - 3] + "..."


def _header(source, section, width):
    lines = [_clip(f"{source.backend}: {source.path}", width)]
    if section.elsewhere:
        also = ", ".join(f"{helper} (topic {key})" for helper, key in section.elsewhere.items())
        lines += textwrap.wrap(f"also uses {also}", width)
    return lines


def _side_by_side(left, right, topic_key, width):
    """Two labelled columns, each definition beside its namesake, lines wrapped to fit."""
    column = (width - 3) // 2
    sections = left.sections[topic_key], right.sections[topic_key]
    headers = [_header(source, section, column) for source, section in zip((left, right), sections)]
    rows = list(zip_longest(*headers, fillvalue=""))
    rows.append(("-" * column, "-" * column))
    blocks = [{d.name: d.code for d in section.definitions} or {"": NONE.format(name=source.backend)}
              for source, section in zip((left, right), sections)]
    names = list(blocks[0]) + [name for name in blocks[1] if name not in blocks[0]]
    for i, name in enumerate(names):
        if i:
            rows.append(("", ""))
        columns = [[piece for line in block.get(name, "").splitlines() for piece in _wrap(line, column)]
                   for block in blocks]
        rows += zip_longest(*columns, fillvalue="")
    return [f"{a.ljust(column)} | {b}".rstrip() for a, b in rows]


# What an optional topic shows for a backend that defines none of its names.
NONE = "({name} defines none of this topic; see its idioms)"


def _one_after_the_other(pair, topic_key, width):
    lines = []
    for source in pair:
        section = source.sections[topic_key]
        lines += ["", *_header(source, section, width), "-" * min(width, 40)]
        code = section.code or NONE.format(name=source.backend)
        lines += [piece for line in code.splitlines() for piece in _wrap(line, width)]
    return lines[1:]


def _way_lines(backend, how, width, label_width):
    label = f"    {backend + ':':<{label_width + 1}} "
    pad = " " * len(label)
    if how is None:
        return [f"{label}(not stated for {backend})"]
    pieces = [piece for snippet in how.snippets for piece in _wrap(snippet, width - len(pad))]
    lines = [f"{label if i == 0 else pad}{piece}" for i, piece in enumerate(pieces)]
    if how.note:  # a comment, so that it does not read as code
        lines += textwrap.wrap(f"# {how.note}", width, initial_indent=pad if how.snippets else label,
                               subsequent_indent=pad + "# ")
    return lines


def format_pair(sources, topic, source, target, width):
    pair = sources[source], sources[target]
    lines = [*textwrap.wrap(f"{topic.key}: {topic.title}", width), ""]
    if (width - 3) // 2 >= MIN_COLUMN:
        lines += _side_by_side(*pair, topic.key, width)
    else:
        lines += _one_after_the_other(pair, topic.key, width)
    differing = [idiom for idiom in idioms_of(topic.key) if idiom.ways.get(source) != idiom.ways.get(target)]
    heading = f"Idioms of {topic.key} that differ from {source} to {target}:" + ("" if differing else " none")
    lines += ["", *textwrap.wrap(heading, width)]
    for idiom in differing:
        lines += textwrap.wrap(idiom.name, width, initial_indent="  ", subsequent_indent="  ")
        for backend in (source, target):
            lines += _way_lines(backend, idiom.ways.get(backend), width, max(len(source), len(target)))
    return "\n".join(lines)


def format_list(sources):
    width = max(len(topic.key) for topic in TOPICS)
    lines = ["topics (python -m conformance port TOPIC --from BACKEND --to BACKEND):"]
    lines += [f"  {t.key.ljust(width)}  {t.title}; shows {', '.join(t.names)}" for t in TOPICS]
    lines.append("backends:")
    for name in backends.names():
        where = sources[name].path if name in sources else "registered, no source file yet"
        lines.append(f"  {name}: {where}")
    lines.append("idioms (topics):")
    lines += [f"  {idiom.name} ({', '.join(idiom.topics)})" for idiom in IDIOMS]
    return "\n".join(lines)


# ---- the Markdown guide --------------------------------------------------------------------

def _code_span(snippet):
    # Backticks inside need a longer fence; a pipe would end the table cell.
    fence = "``" if "`" in snippet else "`"
    pad = " " if fence == "``" else ""
    return f"{fence}{pad}{snippet}{pad}{fence}".replace("|", "\\|")


def _markdown_text(note):
    """A note as Markdown: its `code` kept, a * or | elsewhere escaped (C_in*kh*kw is no emphasis)."""
    parts = note.split("`")
    parts[::2] = [part.replace("*", "\\*").replace("|", "\\|") for part in parts[::2]]
    return "`".join(parts)


def _slugs():
    """GitHub's heading anchors of the topics: `Conv2D` after `conv2d` becomes conv2d-1."""
    seen, slugs = {}, {}
    for topic in TOPICS:
        base = topic.key.lower()
        slugs[topic.key] = base if base not in seen else f"{base}-{seen[base]}"
        seen[base] = seen.get(base, 0) + 1
    return slugs


def _idiom_table(sources, topic_key):
    rows = ["| idiom | backend | code | note |", "| --- | --- | --- | --- |"]
    for idiom in idioms_of(topic_key):
        for i, backend in enumerate(sources):
            how = idiom.ways.get(backend)
            code = "<br>".join(_code_span(s) for s in how.snippets) if how else "(not stated)"
            note = _markdown_text(how.note) if how else ""
            rows.append(f"| {idiom.name if i == 0 else ''} | {backend} | {code} | {note} |")
    return rows


def format_guide(sources, path):
    """The whole guide as Markdown, its links relative to `path`, where it is written."""
    up = os.path.relpath(ROOT, pathlib.Path(path).resolve().parent).replace(os.sep, "/")

    def link(target):
        return target if up == "." else f"{up}/{target}"

    slugs = _slugs()
    first, second = list(sources)[:2]  # an example pair for the command line
    lines = [
        "# Porting guide: the lesson's code in every backend",
        "",
        f"<!-- Generated from the backends' source by `python -m conformance port --write {GUIDE}`; "
        "do not edit: run `nox -s porting`. -->",
        "",
        "Each topic as every backend writes it, read from the backend's file (so it is the code "
        "the conformance cases run), then the idioms that change between frameworks. Every "
        "snippet in the idiom tables is checked to occur verbatim in that backend's code of "
        "the idiom's topics; the generator fails when a backend changes under it.",
        "",
        f"The hand-written notes (each framework's gotchas, determinism flags, bugs in "
        f"the lesson's source documents) are in [PORTING.md]({link('PORTING.md')}). One topic "
        "in two backends, side by side in a terminal: "
        f"`python -m conformance port corr2d --from {first} --to {second}` (`--list` lists the topics).",
        "",
        "Backends: " + ", ".join(f"[{name}]({link(source.path)})" for name, source in sources.items()) + ".",
        "",
        "Topics:",
        "",
        *[f"- [{topic.key}](#{slugs[topic.key]}): {topic.title}" for topic in TOPICS],
    ]
    for topic in TOPICS:
        lines += ["", f"## {topic.key}", "", topic.title[0].upper() + topic.title[1:] + "."]
        for name, source in sources.items():
            section = source.sections[topic.key]
            also = ", ".join(f"`{helper}` ([{key}](#{slugs[key]}))"
                             for helper, key in section.elsewhere.items())
            also = f"; also uses {also}" if also else ""
            lines += ["", f"**{name}**: [`{source.path}`]({link(source.path)}){also}", ""]
            lines += ["```python", section.code, "```"] if section.definitions else [NONE.format(name=name)]
        if idioms_of(topic.key):
            lines += ["", f"### Idioms of {topic.key}", "", *_idiom_table(sources, topic.key)]
    return "\n".join(lines) + "\n"


# ---- the command ---------------------------------------------------------------------------

def find_topic(name):
    """A topic by its key, or by any name it shows (`port learn`, `port BuiltinConv2D`)."""
    for topic in TOPICS:
        if name == topic.key:
            return topic
    for topic in TOPICS:
        if name in topic.names:
            return topic
    return None


def _fail(message):
    print(message, file=sys.stderr)
    return 2


def main(args):
    sources = read_sources()
    if args.write:
        text = format_guide(sources, args.write)
        pathlib.Path(args.write).parent.mkdir(parents=True, exist_ok=True)
        pathlib.Path(args.write).write_text(text, newline="\n")
        print(f"wrote {args.write}: {len(TOPICS)} topics in {len(sources)} backends "
              f"({', '.join(sources)}), {len(text.splitlines())} lines")
    if args.list:
        print(format_list(sources))
    if args.topic is None:
        if args.write or args.list:
            return 0
        return _fail("give a TOPIC with --from and --to, --list, or --write FILE")
    topic = find_topic(args.topic)
    if topic is None:
        return _fail(f"unknown topic {args.topic!r}; choose one of {', '.join(t.key for t in TOPICS)}")
    for option, backend in (("--from", args.source), ("--to", args.target)):
        if backend is None:
            return _fail(f"port {topic.key} needs {option} BACKEND; one of {', '.join(sources)}")
        if backend not in sources:
            return _fail(f"{option} {backend}: {backend!r} is not a backend; choose one of {', '.join(sources)}")
    width = shutil.get_terminal_size((160, 24)).columns  # piped: wide enough for two columns
    print(format_pair(sources, topic, args.source, args.target, width))
    return 0
