"""The porting guide: generated from the backends' source, current, and checked against it.

It runs in every backend's session, so it imports no framework: the generator reads the
backend files with `ast`.
"""

import argparse
import ast

import pytest

from convsuite import backends
from convsuite.conformance.porting import cli, idioms as porting_idioms, markdown, sources
from convsuite.conformance.cli import main as conformance_main


def port_args(topic=None, source=None, target=None, list=False, write=None):
    return argparse.Namespace(topic=topic, source=source, target=target, list=list, write=write)


def test_the_checked_in_guide_is_what_the_generator_writes_now():
    guide = sources.ROOT / sources.GUIDE
    current = markdown.format_guide(sources.read_sources(), guide)
    assert guide.exists() and guide.read_text() == current, (
        f"{sources.GUIDE} is stale: the backends changed since it was generated; run: nox -s porting")


def test_every_backend_with_a_source_file_has_every_topic():
    found = sources.read_sources()
    assert list(found) == backends.names()
    for source in found.values():
        for topic in sources.TOPICS:
            section = source.sections[topic.key]
            shown = {definition.name for definition in section.definitions}
            public = {n for n in topic.names if not n.startswith("_")}
            if topic.optional:  # the compiled path: all of its names or none
                assert shown & public in (set(), public), (source.backend, topic.key)
            else:
                assert public <= shown, (source.backend, topic.key)
            assert all(f"{name}" in section.code for name in shown)


def test_the_compiled_topic_shows_exactly_the_backends_that_compile():
    found = sources.read_sources()
    compiling = {name for name, source in found.items() if source.sections["compiled"].definitions}
    assert compiling == {d.name for d in backends.declarations() if d.offers("compiled")}
    guide = markdown.format_guide(found, sources.ROOT / sources.GUIDE)
    assert all(sources.NONE.format(name=d.name) in guide for d in backends.declarations()
               if not d.offers("compiled"))


def test_port_prints_both_backends_code_side_by_side(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "220")
    assert cli.main(port_args("corr2d", "mxnet", "torch")) == 0
    out = capsys.readouterr().out
    found = sources.read_sources()
    header = next(line for line in out.splitlines() if "backends/mxnet/loop.py" in line)
    assert "backends/torch/loop.py" in header  # the two labels head one row: two columns
    for name in ("mxnet", "torch"):
        for line in found[name].sections["corr2d"].code.splitlines():
            if len(line) <= (220 - 3) // 2:  # longer lines are wrapped
                assert line.strip() in out, (name, line)
    assert "Idioms of corr2d that differ from mxnet to torch" in out
    assert "nd.add_n(*[_corr2d_single(" in out


def test_port_on_a_narrow_terminal_prints_one_after_the_other(capsys, monkeypatch):
    monkeypatch.setenv("COLUMNS", "60")
    assert cli.main(port_args("learn", "torch", "tensorflow")) == 0
    out = capsys.readouterr().out
    assert all(len(line) <= 60 for line in out.splitlines())
    torch, tensorflow = "torch: backends/torch/layer.py", "tensorflow: backends/tensorflow/layer.py"
    assert out.index(torch) < out.index(tensorflow)
    assert "net.zero_grad()" in out


def test_unknown_topic_or_backend_is_a_usage_error(capsys):
    assert cli.main(port_args("nonsense", "mxnet", "torch")) == 2
    assert cli.main(port_args("corr2d", "mxnet", "caffe")) == 2
    assert cli.main(port_args("corr2d", "mxnet")) == 2
    assert "unknown topic" in capsys.readouterr().err


def test_list_names_every_topic_and_backend(capsys):
    assert cli.main(port_args(list=True)) == 0
    out = capsys.readouterr().out
    assert all(topic.key in out for topic in sources.TOPICS)
    assert all(name in out for name in backends.names())


def test_write_writes_the_guide(tmp_path, capsys):
    path = tmp_path / "guide.md"
    assert cli.main(port_args(write=str(path))) == 0
    text = path.read_text()
    assert all(f"\n## {topic.key}\n" in text for topic in sources.TOPICS)
    assert "PORTING.md" in text and "| record gradients |" in text


def test_an_idiom_snippet_that_is_not_in_the_source_fails_the_generator(monkeypatch, capsys):
    planted = porting_idioms.Idiom("planted", ("corr2d",), {"torch": porting_idioms.way("torch.einsum_that_is_not_there(")})
    monkeypatch.setattr(porting_idioms, "IDIOMS", porting_idioms.IDIOMS + (planted,))
    with pytest.raises(sources.GuideError, match="torch.einsum_that_is_not_there.*backends/torch/backend.toml"):
        sources.read_sources()
    with pytest.raises(sources.GuideError):
        cli.main(port_args("corr2d", "mxnet", "torch"))
    # through the command line it is one line and exit status 2, like every contract error
    assert conformance_main(["port", "corr2d", "--from", "mxnet", "--to", "torch"]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: idiom 'planted'") and err.count("\n") == 1


def test_a_snippet_from_another_topic_does_not_count(monkeypatch):
    # net.zero_grad() is in torch's learn, not in its corr2d: the guide would show it beside
    # code that does not contain it.
    planted = porting_idioms.Idiom("planted", ("corr2d",), {"torch": porting_idioms.way("net.zero_grad()")})
    monkeypatch.setattr(porting_idioms, "IDIOMS", (planted,))
    with pytest.raises(sources.GuideError, match="corr2d"):
        sources.read_sources()


def test_a_topic_shows_public_names_only(monkeypatch):
    # The guide finds what it shows through the contract's names; a backend's private helpers
    # come with the definitions that call them, never looked up by name.
    planted = sources.Topic("planted", "a private helper by name", ("corr2d", "_pad"))
    monkeypatch.setattr(sources, "TOPICS", sources.TOPICS + (planted,))
    with pytest.raises(sources.GuideError, match="topic planted shows _pad.*REQUIRED"):
        sources.read_sources()


def _exported(declaration):
    """{name: file} of what the backend's package imports from its own modules (`from .fast
    import corr2d`), read from its __init__."""
    folder = sources.relative_path(declaration.folder)
    return {alias.name: f"{folder}/{node.module.replace('.', '/')}.py"
            for node in ast.parse(declaration.path.read_text()).body
            if isinstance(node, ast.ImportFrom) and node.level == 1 for alias in node.names}


def test_each_name_comes_from_the_module_its_package_takes_it_from():
    # NumPy's kernels.py defines a `learn` kernel of its own: the guide shows layer.py's.
    found = sources.read_sources()
    for declaration in backends.declarations():
        source, exported = found[declaration.name], _exported(declaration)
        for topic in sources.TOPICS:
            section = source.sections[topic.key]
            for definition in section.definitions:
                if definition.name in topic.names:
                    assert definition.file == exported[definition.name], (source.backend, definition.name)
                assert definition.file in section.files
                assert definition.file.startswith(f"{source.path}/"), (source.backend, definition.file)


def test_every_helper_a_topic_calls_is_shown_once_or_pointed_at():
    # Helpers of the definition's own file and those it imports from the backend's other
    # files (`from .builtin import _pad`) alike: none is dropped, none shown twice.
    for source in sources.read_sources().values():
        shown = {(d.file, d.name): key for key, section in source.sections.items() for d in section.definitions}
        assert len(shown) == sum(len(section.definitions) for section in source.sections.values())
        for key, section in source.sections.items():
            for definition in section.definitions:
                for file, helper in definition.helpers | definition.helpers_elsewhere:
                    where = shown.get((sources.relative_path(file), helper))
                    assert where is not None, (source.backend, key, definition.name, helper)
                    assert where == key or section.elsewhere[helper] == where, (source.backend, key, helper)
