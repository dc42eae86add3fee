"""The porting guide in a terminal: one topic in two backends, side by side (or one after
the other when the terminal is narrow), then the idioms that differ between them."""

import textwrap
from itertools import zip_longest

from convsuite import backends
from convsuite.conformance.porting import idioms
from convsuite.conformance.porting.sources import NONE, TOPICS, idioms_of

# Below this many characters a column wraps nearly every line: print one backend after the other.
MIN_COLUMN = 50


def _wrap(line, width):
    """A code line in pieces of at most `width`, continuations indented under it."""
    if len(line) <= width:
        return [line]
    indent = line[: len(line) - len(line.lstrip())][: width // 2]
    return textwrap.wrap(line, width, subsequent_indent=indent + "    ", break_on_hyphens=False) or [line]


def _clip(text, width):
    return text if len(text) <= width else text[: width - 3] + "..."


def _header(source, section, width):
    lines = [_clip(f"{source.backend}: {', '.join(section.files) or source.path}", width)]
    if section.elsewhere:
        also = ", ".join(f"{helper} (topic {key})" for helper, key in section.elsewhere.items())
        lines += textwrap.wrap(f"also uses {also}", width)
    return lines


def _blocks(section):
    """{name: code} of a section's definitions, a name that two of its files define kept twice."""
    blocks = {}
    for definition in section.definitions:
        key = definition.name
        while key in blocks:
            key += "'"
        blocks[key] = definition.code
    return blocks


def _side_by_side(left, right, topic_key, width):
    """Two labelled columns, each definition beside its namesake, lines wrapped to fit."""
    column = (width - 3) // 2
    sections = left.sections[topic_key], right.sections[topic_key]
    headers = [_header(source, section, column) for source, section in zip((left, right), sections)]
    rows = list(zip_longest(*headers, fillvalue=""))
    rows.append(("-" * column, "-" * column))
    blocks = [_blocks(section) or {"": NONE.format(name=source.backend)}
              for source, section in zip((left, right), sections)]
    names = list(blocks[0]) + [name for name in blocks[1] if name not in blocks[0]]
    for i, name in enumerate(names):
        if i:
            rows.append(("", ""))
        columns = [[piece for line in block.get(name, "").splitlines() for piece in _wrap(line, column)]
                   for block in blocks]
        rows += zip_longest(*columns, fillvalue="")
    return [f"{a.ljust(column)} | {b}".rstrip() for a, b in rows]


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
    lines += [f"  {idiom.name} ({', '.join(idiom.topics)})" for idiom in idioms.IDIOMS]
    return "\n".join(lines)
