"""The porting guide as Markdown (docs/porting-guide.md): every topic in every backend, with
the idiom tables, links relative to where the guide is written."""

import os
import pathlib

from convsuite.conformance.porting.sources import GUIDE, NONE, ROOT, TOPICS, idioms_of


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
        "Each topic as every backend writes it, read from the files of the backend's folder (so it "
        "is the code the conformance cases run), then the idioms that change between frameworks. Every "
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
            files = ", ".join(f"[`{file}`]({link(file)})" for file in section.files or [source.path])
            lines += ["", f"**{name}**: {files}{also}", ""]
            lines += ["```python", section.code, "```"] if section.definitions else [NONE.format(name=name)]
        if idioms_of(topic.key):
            lines += ["", f"### Idioms of {topic.key}", "", *_idiom_table(sources, topic.key)]
    return "\n".join(lines) + "\n"
