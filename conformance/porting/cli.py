"""The porting guide, generated from the backends' own source: the command.

    python -m conformance port corr2d --from mxnet --to torch   one topic, two backends, side by side
    python -m conformance port --list                            the topics, backends and idioms
    python -m conformance port --write docs/porting-guide.md     every topic in every backend

Each backend's files are read with `ast`, never imported, so the guide builds in any environment,
whichever frameworks it lacks, and shows the code exactly as it runs. The idioms that differ
between frameworks are data (idiom -> backend -> snippets), and every snippet is checked to
occur verbatim in the code the guide shows next to it: when a backend changes, the generator
fails instead of describing code that is gone. PORTING.md keeps the hand-written notes.
"""

import pathlib
import shutil
import sys

from convsuite.conformance.porting.markdown import format_guide
from convsuite.conformance.porting.sources import TOPICS, read_sources
from convsuite.conformance.porting.terminal import format_list, format_pair


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
