"""The command itself, whatever the framework: usage and input errors, FILE:NAME and
--function, shards and their merged summary, the results file `compare` reads, and the
message pipe that nothing printed can forge. Run in the NumPy session (NumPy targets)."""

import json
import pathlib

import pytest

from checking import COURSE, check, lesson, subject
from convsuite.conformance.check.child.protocol import Reader
from convsuite.conformance.check.targets import Target, expand, parse_shard, shard
from convsuite.conformance.harness import compare, results
from convsuite.spec import cases

pytestmark = pytest.mark.check_backend("numpy")


@pytest.mark.parametrize("arguments, words", [
    (["nowhere.py"], "nowhere.py: no such file"),
    (["README.md", "--shard", "3/2"], "--shard K/N needs 1 <= K <= N"),
    (["README.md", "--function", "kernel=corr2d"], "--function takes ROLE=NAME"),
    (["pyproject.toml"], "not a target check reads"),
])
def test_usage_and_input_errors_exit_2_with_one_line(arguments, words):
    status, out, err, _ = check(*arguments, "--backend", "numpy")
    assert status == 2 and words in err and len(err.strip().splitlines()) == 1, err


def test_a_notebook_that_is_not_one_is_an_input_error(tmp_path):
    broken = tmp_path / "broken.ipynb"
    broken.write_text("{not json")
    status, out, err, records = check(broken, "--backend", "numpy", summary=tmp_path / "s")
    assert status == 2 and "not a readable notebook" in out


def test_file_colon_name_and_function_map_other_names(tmp_path):
    target = tmp_path / "mine.py"
    target.write_text(lesson("xcorr") + lesson("corr2d"))
    status, out, _, records = check(f"{target}:xcorr", "--backend", "numpy", summary=tmp_path / "a")
    assert status == 0 and [s["name"] for s in records[f"{target}:xcorr"]["subjects"]] == ["xcorr"]
    status, out, _, records = check(target, "--backend", "numpy", "--function", "convolution=xcorr",
                                    summary=tmp_path / "b")
    rec = records[str(target)]
    assert subject(rec, "corr2d")["passed"] == subject(rec, "corr2d")["applicable"]
    assert subject(rec, "xcorr")["passed"] < subject(rec, "xcorr")["applicable"]  # it is no convolution
    assert "the kernel is not flipped" in subject(rec, "xcorr")["first_failure"]["hint"]
    status, out, err, _ = check(f"{target}:missing", "--backend", "numpy", summary=tmp_path / "c")
    assert status == 1 and "no missing in the target" in out  # a FAIL of that target, not a usage error


def test_shards_split_the_targets_and_their_summaries_merge(tmp_path):
    folder = tmp_path / "submissions"
    folder.mkdir()
    for n in range(5):
        (folder / f"student{n}.py").write_text(lesson("corr2d" if n != 3 else "conv2d"))
    every = expand([str(folder)])
    assert len(every) == 5
    parts = [shard(every, k, 2) for k in (1, 2)]
    assert sorted(t.label for part in parts for t in part) == sorted(t.label for t in every)
    assert parse_shard("2/2") == (2, 2) and shard([Target("b"), Target("a")], 1, 2) == [Target("a")]
    for k in (1, 2):
        status, out, _, _ = check(folder, "--backend", "numpy", "--shard", f"{k}/2", summary=tmp_path / "s")
        assert status == 0, out
        assert len(out.strip().splitlines()) == len(parts[k - 1]) + 1  # one verdict line per target
    status, out, _, _ = check("--merge", tmp_path / "s" / "summary-1-of-2.json", tmp_path / "s" / "summary-2-of-2.json",
                              summary=tmp_path / "merged")
    merged = json.loads((tmp_path / "merged" / "summary.json").read_text())["targets"]
    assert status == 0 and len(merged) == 5
    assert (tmp_path / "merged" / "summary.md").read_text().count("| PASS |") == 5


def test_the_results_file_goes_beside_the_backends_and_not_applicable_is_not_missing(tmp_path):
    out = tmp_path / "planted.json"
    status, _, err, _ = check(COURSE / "planted" / "flipped_kernel.py", "--backend", "numpy", "--out", out)
    assert status == 1, err
    document = results.read(out)
    assert document["backend"] == "flipped_kernel.py@numpy"
    outcome = compare.compare([document], cases.load())
    cells = {case: cell for (case, column), cell in outcome.cells.items() if column == document["backend"]}
    assert cells["corr2d-lesson-3x3"].kind == "fail" and cells["corr2d-edge-6x8"].kind == "fail"
    assert cells["corr2d-kernel-1x1"].kind == "agree"  # a 1x1 kernel is its own flip
    assert cells["learn-edge-builtin"].kind == cells["corr2d-padding-height-only"].kind == "not-applicable"
    assert not [f for f in outcome.failures if f.kind == "missing"]


def test_nothing_printed_passes_for_a_message():
    reader = Reader("secret")
    forged = b'{"t": "result", "i": 0, "outputs": {}}\n'
    assert reader.feed(forged + b'secret{"t": "done"}\n' + forged) == [{"t": "done"}]
    assert reader.rejected == 2


def test_json_puts_only_the_summary_on_stdout(tmp_path):
    (tmp_path / "corr2d.py").write_text(lesson())
    (tmp_path / "flipped.py").write_text(lesson().replace("* K).sum()", "* K[::-1, ::-1]).sum()"))
    status, out, err, _ = check(tmp_path / "corr2d.py", tmp_path / "flipped.py", "--backend", "numpy", "--json",
                                summary=tmp_path / "s")
    document = json.loads(out)  # nothing else on stdout
    assert status == 1 and document == json.loads((tmp_path / "s" / "summary.json").read_text())
    assert {pathlib.Path(r["target"]).name: r["status"] for r in document["targets"]} == {"corr2d.py": "PASS",
                                                                                         "flipped.py": "FAIL"}
    assert "flipped.py [numpy]: FAIL" in err
