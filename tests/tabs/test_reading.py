"""How tabs reads a chapter: steps as the book's build groups its tabbed blocks, and bad
input refused in one line (exit 2). Reading runs nothing."""

import textwrap

import pytest

from convsuite.conformance.check.child.sources import InputError
from convsuite.conformance.tabs import chapter as chapters
from tabs_run import CHAPTERS, tabs

BOOK = textwrap.dedent("""\
    # A chapter

    ```{.python .input}
    %load_ext d2lbook.tab
    tab.interact_select(['mxnet', 'pytorch'])
    ```

    ```{.python .input}
    a = 1
    ```

    ```{.python .input}
    %%tab pytorch
    a = 2
    ```

    ```{.python .input}
    #@tab pytorch
    b = 3
    ```

    Text ends a group of tabs.

    ```{.python .input}
    #@tab all
    a
    ```

    ```{.python .input}
    #@tab mxnet, pytorch
    a + 1
    ```

    ```{.python .input}
    #@tab pytorch
    a + 2
    ```
    """)


def test_a_group_of_tabbed_blocks_is_one_step_and_an_all_block_is_its_own(tmp_path):
    path = tmp_path / "chapter.md"
    path.write_text(BOOK)
    read = chapters.read(path)
    assert read.tabs == ["mxnet", "pytorch"]
    assert [(s.number, s.line, s.tabs) for s in read.steps] == [
        (1, 9, ["mxnet", "pytorch"]), (2, 25, ["mxnet", "pytorch"]), (3, 30, ["mxnet", "pytorch"]),
        (4, 35, ["pytorch"])]  # each step's line: its first block's first line of code
    # pytorch's first step: both its blocks, in order, its %%tab line made a comment
    assert [source for _, source in read.steps[0].cells["pytorch"]] == ["# %%tab pytorch\na = 2", "#@tab pytorch\nb = 3"]
    assert [c["step"] for c in read.cells_of("mxnet")] == [1, 2, 3]


def test_every_chapter_written_for_the_tests_reads(tmp_path):
    for path in sorted(CHAPTERS.glob("*.md")):
        assert chapters.read(path).steps, path


@pytest.mark.parametrize("text, problem", [
    ("# no code here\n", "no ```{.python .input} code block"),
    (None, "cannot read it"),
])
def test_a_file_that_is_not_a_chapter_is_an_input_error(tmp_path, text, problem):
    path = tmp_path / "chapter.md"
    if text is not None:
        path.write_text(text)
    with pytest.raises(InputError, match=problem.replace("`", ".").replace("{", ".").replace("}", ".")):
        chapters.read(path)


@pytest.mark.parametrize("arguments, problem", [
    (["missing.md"], "missing.md: cannot read it"),
    ([CHAPTERS / "three-tabs.md", "--tab", "tensorflow"], "no tensorflow tab (its tabs: mxnet, pytorch, jax, numpy, tvm)"),
])
def test_bad_input_is_exit_2_and_one_line(arguments, problem):
    status, out, err = tabs(*arguments)
    assert status == 2 and out == "", (out, err)
    assert len(err.strip().splitlines()) == 1 and problem in err, err


def test_an_install_for_one_tab_goes_to_that_tab_alone():
    from convsuite.conformance.tabs.runner import packages_for

    install = ["d2l==1.0.3", "pytorch:torchvision", "git+https://example.org/pkg"]
    tabs_ = ["mxnet", "pytorch"]
    assert packages_for("pytorch", install, tabs_) == ["d2l==1.0.3", "torchvision", "git+https://example.org/pkg"]
    assert packages_for("mxnet", install, tabs_) == ["d2l==1.0.3", "git+https://example.org/pkg"]
