"""Nothing the harness reads can fool it, hang it or crash it (issue 25, section 3).

Each hostile input of a tester's 158 tries that gave a traceback, a silent pass or unbounded
work, as real commands in subprocesses of this environment's Python: the refusal is exit 2
(a usage error for argparse's) with one line naming the problem, within seconds, and never a
traceback. Then the caps (`spec.caps`) one by one, and a closed stdout against a broken pipe
of anything else.
"""

import base64
import json
import os
import pathlib
import subprocess
import sys
import zlib

import pytest

from convsuite.spec import caps, cases, generated

ROOT = pathlib.Path(__file__).resolve().parent.parent
SMALL_CASES = ROOT / "spec" / "cases" / "corr2d.json"
SECONDS = 60  # generous for a loaded machine; a hang (the old compare of 10**12 steps) never ends


def conformance(*args, **kwargs):
    return subprocess.run([sys.executable, "-m", "convsuite.conformance", *map(str, args)], cwd=ROOT,
                          capture_output=True, text=True, timeout=SECONDS, **kwargs)


def refused(done, fragment, code=2, usage=False):
    """The command failed with `code`, said `fragment` in one line of stderr (with argparse's
    usage above it for a usage error), and printed no traceback."""
    assert "Traceback" not in done.stderr, done.stderr[-3000:]
    assert done.returncode == code, (done.returncode, done.stdout[-1000:], done.stderr[-1000:])
    lines = done.stderr.strip().splitlines()
    assert usage or len(lines) == 1, done.stderr
    assert fragment in lines[-1], done.stderr


@pytest.fixture(scope="module")
def results_file(tmp_path_factory):
    """A real results file of the corr2d cases (the results the rows below tamper with)."""
    out = tmp_path_factory.mktemp("results") / "numpy.json"
    done = conformance("run", "--backend", "numpy", "--cases", SMALL_CASES, "--out", out)
    assert done.returncode == 0, done.stderr
    assert conformance("compare", out, "--cases", SMALL_CASES).returncode == 0
    return out


# --- case files ---------------------------------------------------------------------------

def _case(**fields):
    return {"id": "hostile", "op": "corr2d", "X": [[1, 2], [3, 4]], "K": [[1]], **fields}


def _learn(**fields):
    return {"id": "hostile", "op": "learn", "X": [[1, 0, 1], [0, 1, 0]], "Y": [[1, 0], [0, 1]],
            "K_init": [[0, 0]], "lr": 0.1, "steps": 3, "layer": "custom", **fields}


def _deep(levels):
    return "[" * levels + "]" * levels


CASE_FILES = {  # id: (the file's bytes, what the one line says)
    "not-utf8": (b'{"cases": [{"id": "caf\xe9", "op": "corr2d"}]}', "not UTF-8"),
    "nested-100000-deep": (f'{{"cases": {_deep(100_000)}}}'.encode(), "nested too deeply"),
    "nested-100-deep-in-a-case": (json.dumps({"cases": [_case(X=json.loads(_deep(100)))]}).encode(),
                                  "case 'hostile': nested deeper than 32 levels"),
    "integer-past-digit-limit": (b'{"cases": [{"id": "a", "op": "corr2d", "X": [[' + b"9" * 5000 + b']]}]}',
                                 "cannot read case file"),
    "case-not-an-object": (b'{"cases": ["corr2d"]}', "case #0 has no string id"),
    "op-a-list": (json.dumps({"cases": [_case(op=["corr2d"])]}).encode(), "op must be a string"),
    "steps-10-to-the-12": (json.dumps({"cases": [_learn(steps=10**12)]}).encode(), "caps.py: STEPS"),
    "padding-12000": (json.dumps({"cases": [_case(padding=12_000)]}).encode(), "caps.py: PADDING"),
    "same-padding-of-a-huge-dilation": (
        json.dumps({"cases": [_case(K=[[1, 1]], dilation=[1, 10**9], padding="same")]}).encode(), "caps.py: PADDING"),
    "generated-array-of-10-to-the-10": (
        json.dumps({"cases": [_case(X={"normal": [100_000, 100_000], "seed": 1, "checksum": "0" * 16})]}).encode(),
        "caps.py: INFLATED_BYTES"),
}


@pytest.mark.parametrize("content, fragment", CASE_FILES.values(), ids=CASE_FILES)
def test_a_hostile_case_file_is_refused_in_one_line(tmp_path, content, fragment):
    path = tmp_path / "cases.json"
    path.write_bytes(content)
    done = conformance("run", "--backend", "numpy", "--cases", path, "--out", tmp_path / "r.json")
    refused(done, fragment)
    assert str(path) in done.stderr and not (tmp_path / "r.json").exists()


def test_compare_of_a_learn_case_of_10_to_the_12_steps_returns_at_once(tmp_path, results_file):
    """Measured on the old main: it never returned (the reference ran every step)."""
    path = tmp_path / "cases.json"
    path.write_text(json.dumps({"cases": [_learn(steps=10**12)]}))
    refused(conformance("compare", results_file, "--cases", path), "case 'hostile': steps is 1,000,000,000,000")


# --- results files ------------------------------------------------------------------------

def _bomb(inflated_bytes):
    """zlib_base64 of `inflated_bytes` zero bytes: about a thousandth of that on disk."""
    deflate = zlib.compressobj(9)
    zeros = bytes(1 << 20)
    data = b"".join([deflate.compress(zeros) for _ in range(inflated_bytes >> 20)] + [deflate.flush()])
    return base64.b64encode(data).decode("ascii")


def _first_y(value):
    def tamper(doc):
        doc["results"][0]["Y"] = value
    return tamper


def _set(**fields):
    return lambda doc: doc.update(fields)


def _keep_ids_not_applicable(doc):
    for column in [doc["results"], *doc["paths"].values()]:
        column[:] = [{"id": r["id"], "not_applicable": "none of this"} for r in column]


def _first_error_a_string(doc):
    doc["results"][0] = {"id": doc["results"][0]["id"], "error": "ValueError"}


def _duplicate_wrong_first(doc):
    wrong = {**doc["results"][0], "Y": [[1e9]]}
    doc["results"].insert(0, wrong)


RESULTS = {  # id: (tampering, what the one line says)
    "string-in-an-array": (_first_y([[1.0, "2"]]), "case corr2d-lesson-3x3, Y: holds '2' where a number belongs"),
    "ragged-array": (_first_y([[1.0, 2.0], [3.0]]), "Y: a ragged nested list"),
    "boolean-in-an-array": (_first_y([[True]]), "Y: holds True where a number belongs"),
    "rank-5-array": (_first_y([[[[[1.0]]]]]), "Y: nested deeper than rank 4"),
    "paths-a-list": (_set(paths=[]), "paths must map"),
    "backend-a-list": (_set(backend=["numpy"]), "backend must be a name"),
    "backend-a-number": (_set(backend=7), "backend must be a name"),
    "versions-not-strings": (_set(versions={"numpy": 2}), "versions must map names to version strings"),
    "error-a-string": (_first_error_a_string, 'error: is {"type": str'),
    "compact-array-past-the-cap": (_first_y({"dtype": "<f8", "shape": [2**40], "zlib_base64": ""}),
                                   "caps.py: INFLATED_BYTES"),
    "compact-array-bomb": (_first_y({"dtype": "<f8", "shape": [1, 2], "zlib_base64": _bomb(1 << 20)}),
                           "Y: a compact array's bytes inflate to more bytes, its dtype and shape take 16"),
    "compact-array-big-endian": (_first_y({"dtype": ">f8", "shape": [1], "zlib_base64": ""}), "little-endian"),
    "duplicate-id-wrong-one-first": (_duplicate_wrong_first, "numpy: two results of case corr2d-lesson-3x3"),
    "every-result-not-applicable": (_keep_ids_not_applicable, "not_applicable, but `check` did not write this file"),
}


@pytest.mark.parametrize("tamper, fragment", RESULTS.values(), ids=RESULTS)
def test_a_hostile_results_file_is_refused_in_one_line(tmp_path, results_file, tamper, fragment):
    document = json.loads(results_file.read_text())
    tamper(document)
    path = tmp_path / "hostile.json"
    path.write_text(json.dumps(document))
    done = conformance("compare", path, "--cases", SMALL_CASES)
    refused(done, fragment)
    assert done.stderr.startswith(f"error: {path}: "), done.stderr


def test_report_refuses_what_compare_refuses(tmp_path, results_file):
    """A run's file of nothing but not_applicable passed `report` too: both read through
    results.read_all, before the page (and matplotlib) is imported."""
    document = json.loads(results_file.read_text())
    _keep_ids_not_applicable(document)
    path = tmp_path / "hostile.json"
    path.write_text(json.dumps(document))
    done = conformance("report", path, "--cases", SMALL_CASES, "--out", tmp_path / "page")
    refused(done, "not_applicable, but `check` did not write this file")


@pytest.mark.parametrize("content, fragment", [
    (b'{"backend": "num\xffpy", "results": []}', "not JSON, or cut short"),
    (f'{{"backend": "numpy", "results": {_deep(100_000)}}}'.encode(), "nested too deeply"),
], ids=["not-utf8", "nested-100000-deep"])
def test_a_results_file_that_is_not_json_is_refused_in_one_line(tmp_path, content, fragment):
    path = tmp_path / "hostile.json"
    path.write_bytes(content)
    refused(conformance("compare", path, "--cases", SMALL_CASES), fragment)


def test_the_same_backend_twice_is_refused_whichever_comes_first(tmp_path, results_file):
    """Measured on the old main: a tampered file first, then the real one, passed (the last
    file's columns replaced the first's)."""
    document = json.loads(results_file.read_text())
    document["results"][0]["Y"] = [[1e9]]
    tampered = tmp_path / "tampered.json"
    tampered.write_text(json.dumps(document))
    done = conformance("compare", tampered, results_file, "--cases", SMALL_CASES)
    refused(done, f"error: {results_file}: backend 'numpy' again: also in {tampered}")
    assert conformance("compare", results_file, "--cases", SMALL_CASES).returncode == 0  # alone, it passes


def test_not_applicable_passes_only_from_a_file_that_check_wrote(tmp_path, results_file):
    """`check` names its target in the versions; a file without one may not excuse a case."""
    document = json.loads(results_file.read_text())
    _keep_ids_not_applicable(document)
    document["versions"]["target"] = "seed.py"
    path = tmp_path / "check.json"
    path.write_text(json.dumps(document))
    done = conformance("compare", path, "--cases", SMALL_CASES)
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stdout + done.stderr


def test_a_zlib_bomb_is_never_inflated(tmp_path, results_file):
    """128 MiB of zeros in 128 kB: the old compare inflated every byte of it; now it stops
    one byte past what the array's shape takes, so the process stays as small as a clean one."""
    document = json.loads(results_file.read_text())

    def peak_mib(path):
        measure = ("import resource, subprocess, sys; "
                   "done = subprocess.run(sys.argv[1:], capture_output=True); "
                   "print(done.returncode, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss >> 10)")
        done = subprocess.run([sys.executable, "-c", measure, sys.executable, "-m", "convsuite.conformance",
                               "compare", str(path), "--cases", str(SMALL_CASES)],
                              cwd=ROOT, capture_output=True, text=True, timeout=SECONDS)
        code, mib = map(int, done.stdout.split())
        return code, mib

    clean_code, clean = peak_mib(results_file)
    document["results"][0]["Y"] = {"dtype": "<f8", "shape": [1, 2], "zlib_base64": _bomb(128 << 20)}
    path = tmp_path / "bomb.json"
    path.write_text(json.dumps(document))
    code, bombed = peak_mib(path)
    assert (clean_code, code) == (0, 2)
    assert bombed < clean + 48, f"peak {bombed} MiB with the bomb, {clean} MiB without"


# --- the other readers: report --bench, check --merge, fuzz's arguments --------------------------

@pytest.mark.parametrize("make, fragment", [
    (lambda tmp, results: results, "not a bench results file (written by 'bench'): backends is not a dict"),
    (lambda tmp, results: tmp / "missing.json", "cannot read it"),
    (lambda tmp, results: (tmp / "x.json").write_text("[1, 2") and tmp / "x.json", "not JSON, or cut short"),
    (lambda tmp, results: (tmp / "x.json").write_text(json.dumps(
        {"backends": {"numpy": {}}, "sizes": {}, "floor": {}, "machine": {}, "targets": [1], "ratios": []}))
        and tmp / "x.json", "not a bench results file: its targets, ratios and backends are objects"),
], ids=["a-results-file", "missing", "not-json", "targets-not-objects"])
def test_report_bench_of_a_wrong_file_is_refused_in_one_line(tmp_path, results_file, make, fragment):
    path = make(tmp_path, results_file)
    refused(conformance("report", "--bench", path, "--out", tmp_path / "page"), f"error: {path}: {fragment}")


@pytest.mark.parametrize("summary, fragment", [
    ("{", "not a check summary file"),
    ('{"targets": {"a": 1}}', "not a check summary file (its targets are not a list)"),
    ('{"targets": [1]}', 'not a check summary file (a target is {"target": str'),
    ('{"targets": [{"target": "a.py", "backend": "numpy", "status": "PASS"}]}', "target 'a.py': not a check record"),
    ('{"targets": [], "grading": "lots"}', "its grading is not what check writes"),
    (f'{{"targets": {_deep(100_000)}}}', "not a check summary file (RecursionError"),
], ids=["not-json", "targets-an-object", "target-a-number", "record-without-its-fields", "grading-a-string",
        "nested-100000-deep"])
def test_check_merge_of_a_malformed_summary_is_refused_in_one_line(tmp_path, summary, fragment):
    path = tmp_path / "summary.json"
    path.write_text(summary)
    done = conformance("check", "--merge", path, "--summary", tmp_path / "merged")
    refused(done, fragment)
    assert done.stderr.startswith(f"check: {path}: "), done.stderr


FUZZ_ARGUMENTS = {  # id: (arguments, what argparse's error line says)
    "examples-0": (["--examples", "0"], "argument --examples: must be 1 or more, got 0"),
    "examples-negative": (["--examples", "-1"], "argument --examples: must be 1 or more, got -1"),
    "seed-negative": (["--seed", "-1"], "argument --seed: must be 0 or more, got -1"),
    "tolerance-cases-negative": (["--tolerance-cases", "-1"], "argument --tolerance-cases: must be 1 or more"),
    "compiling-every-0": (["--compiling-every", "0"], "argument --compiling-every: must be 1 or more, got 0"),
    "python-without-equals": (["--python", "numpy"], "'numpy' is not NAME=PYTHON"),
    "python-that-does-not-exist": (["--python", "numpy=/no/such/python"], "'/no/such/python': no such Python"),
    "python-of-an-unknown-backend": (["--python", f"caffe={sys.executable}"], "'caffe' is not a backend"),
    "out-under-a-file": (["--out", __file__ + "/failure.json"], "cannot write there"),
}


@pytest.mark.parametrize("arguments, fragment", FUZZ_ARGUMENTS.values(), ids=FUZZ_ARGUMENTS)
def test_a_bad_fuzz_argument_is_a_usage_error_before_any_fuzzing(arguments, fragment):
    python = [] if "--python" in arguments else ["--python", f"numpy={sys.executable}"]
    refused(conformance("fuzz", *python, *arguments), fragment, usage=True)


def test_the_fuzz_out_folder_need_not_exist_yet(tmp_path):
    from convsuite.conformance.cli import _writable_file

    assert _writable_file(str(tmp_path / "new" / "failure.json")) == str(tmp_path / "new" / "failure.json")


# --- the caps, each on its own ----------------------------------------------------------------

def test_every_built_in_case_is_within_the_caps():
    """Parsed, not only loaded: the caps on the arrays as built, the padded input, the output
    and the multiply-adds hold for every case that spec/cases holds."""
    for raw in cases.load():
        try:
            cases.parse(raw)
        except caps.PastCap as exc:  # pragma: no cover: the failure this test exists for
            pytest.fail(f"built-in case {raw['id']} is past a cap: {exc}")
        except (TypeError, ValueError):
            assert raw.get("expect", {}).get("error"), f"{raw['id']} raises but expects no error"


def _ones(*shape):
    return generated.describe("ones", shape)


CAPS = {  # id: (a raw case just past one cap, the cap its message names)
    "elements-of-the-output": (_case(X=_ones(1, 1, 1024), K=_ones(4097, 1, 1, 1)), "ELEMENTS"),
    "elements-of-the-padded-input": (_case(X=_ones(1, 2**16), K=[[1]], padding=[[64, 0], [0, 0]]), "ELEMENTS"),
    "steps": (_learn(steps=caps.STEPS + 1), "STEPS"),
    "padding": (_case(padding=caps.PADDING + 1), "PADDING"),
    "multiply-adds": (_case(X=_ones(2048, 2048), K=_ones(64, 64)), "MULTIPLY_ADDS"),
    "inflated-generated-array": (_case(X={"ones": [2**22 + 1], "checksum": "0" * 16}), "INFLATED_BYTES"),
}


@pytest.mark.parametrize("raw, cap", CAPS.values(), ids=CAPS)
def test_a_case_past_each_cap_is_refused_by_load_and_by_parse(tmp_path, raw, cap):
    path = tmp_path / "cases.json"
    path.write_text(json.dumps({"cases": [raw]}))
    with pytest.raises(cases.CaseFileError, match=f"{path}: case 'hostile': .*spec/caps.py: {cap}"):
        cases.load([path])
    with pytest.raises(caps.PastCap, match=cap):
        cases.parse(raw)


def test_a_case_at_each_cap_is_still_taken():
    """The caps refuse what is past them, not what meets them."""
    at = [_learn(steps=caps.STEPS), _case(X=[[1] * 130] * 2, K=[[1]], padding=[[0, 0], [caps.PADDING, 0]])]
    for raw in at:
        assert cases.parse(raw).id == "hostile"


def test_a_generated_array_past_the_cap_is_refused_before_a_number_is_drawn():
    """10**10 elements would take minutes and 80 GB to draw; the refusal takes no time."""
    with pytest.raises(caps.PastCap, match="INFLATED_BYTES"):
        generated.generate({"uniform": [100_000, 100_000], "seed": 1, "checksum": "0" * 16}, "X")


# --- BrokenPipeError: a closed stdout is fine, any other broken pipe is not ------------------

def _with_stdout_nobody_reads(argv):
    read, write = os.pipe()
    os.close(read)  # before the child starts: its first write to stdout meets a broken pipe
    try:
        return subprocess.run(argv, cwd=ROOT, stdout=write, stderr=subprocess.PIPE, text=True, timeout=SECONDS)
    finally:
        os.close(write)


def test_a_closed_stdout_is_exit_0_without_a_word():
    """`python -m conformance port --list | head -1`: the reader left, nothing went wrong."""
    done = _with_stdout_nobody_reads([sys.executable, "-m", "convsuite.conformance", "port", "--list"])
    assert done.returncode == 0 and done.stderr == "", done.stderr


def test_a_broken_pipe_that_is_not_stdout_is_never_swallowed():
    """Planted: a command whose own pipe (a worker's, say) breaks while stdout is fine. The old
    entry() turned it into exit 0, which let a fuzz run with a dead worker pass."""
    plant = ("import os, sys; from convsuite.conformance import cli\n"
             "def main():\n"
             "    read, write = os.pipe(); os.close(read); os.write(write, b'to a dead worker')\n"
             "cli.main = main\n"
             "sys.exit(cli.entry())")
    done = subprocess.run([sys.executable, "-c", plant], cwd=ROOT, capture_output=True, text=True, timeout=SECONDS)
    assert done.returncode == 1 and "BrokenPipeError" in done.stderr, (done.returncode, done.stderr)
