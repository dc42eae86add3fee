"""The verdicts `check` gives each course file, in its framework's environment."""

import pytest

from checking import COURSE, check
from course_verdicts import CHAPTER, SEED004_WITHOUT_ASSERT
from convsuite.conformance.harness import compare, results
from convsuite.spec import cases


def test_course_file_verdicts(course_entry, request, tmp_path):
    name, targets, options, expect = course_entry
    backend = request.config.getoption("--backend")
    status, out, err, records = check(*targets, "--backend", backend, "--jobs", "2", *options, summary=tmp_path)
    assert status == (0 if all(r["status"] == "PASS" for r in records.values()) else 1), (out, err)
    assert records, (out, err)
    expect(records)


@pytest.mark.check_backend("torch")
def test_seed_004s_axis_swap_shows_once_its_assert_is_removed(tmp_path):
    """conv2d_padding's `assert padding > 0` hides the swapped axes of its np.pad: the same
    notebook without that line pads the height's padding onto the width."""
    source = (COURSE / "seeds" / "004_pytorch_numpy.ipynb").read_text()
    assert source.count('"    assert padding > 0\\n",') == 1
    derived = tmp_path / "seeds" / "004_without_assert.ipynb"
    derived.parent.mkdir()
    derived.write_text(source.replace('"    assert padding > 0\\n",', ""))
    (tmp_path / "d2l_func").symlink_to(COURSE / "d2l_func")
    status, out, err, records = check(derived, "--backend", "torch", "--share", tmp_path / "d2l_func",
                                      summary=tmp_path / "summary")
    assert status == 1, (out, err)
    SEED004_WITHOUT_ASSERT(records)


@pytest.mark.check_backend("mxnet")
def test_compare_calls_the_mxnet_chapters_numpy_mode_nan_known_as_check_does(tmp_path):
    """check --out's results file ("conv-layer.md@mxnet") meets the documented difference of
    MXNet's numpy-mode sum in compare too (spec/differences.py: its column is mxnet:learner)."""
    out = tmp_path / "chapter.json"
    status, _, err, records = check(CHAPTER, "--backend", "mxnet", "--out", out, summary=tmp_path / "s")
    assert status == 0, err
    outcome = compare.compare([results.read(out)], cases.load())
    known = {case for (case, column), cell in outcome.cells.items() if cell.kind == "known"}
    assert {"special-inf-minus-inf", "special-inf-minus-inf-float64"} <= known, known
