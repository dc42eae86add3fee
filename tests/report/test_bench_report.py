"""The benchmark's chart and tables in the report, from a real (tiny) NumPy benchmark run
beside a planted slow backend and one whose worker failed, rendered by headless Chromium."""

import argparse
import copy
import json
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from convsuite.conformance.bench import run as bench
from convsuite.conformance.environments.run import code_path
from convsuite.conformance.report import cli as report

from test_report import PNG_SIGNATURE, dump_dom


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    folder = tmp_path_factory.mktemp("bench")
    measured = folder / "measured.json"
    done = subprocess.run(
        [sys.executable, "-m", "convsuite.conformance", "bench", f"--python=numpy={sys.executable}",
         "--sizes", "6x8/1x2", "64x64/3x3", "--budget", "0", "--copy-mib", "1", "--matmul-n", "64",
         "--out", str(measured)], cwd=code_path(), capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    document = json.loads(measured.read_text())
    slow = copy.deepcopy(document["backends"]["numpy"])  # planted: its fast path 100x slower
    slow["backend"] = "planted"
    for row in slow["corr2d"]:
        if row["path"] == "fast":
            row["median_s"] *= 100
    document["backends"]["planted"] = slow
    document["backends"]["broken"] = {"backend": "broken", "error": "worker exited with 1"}
    bench.summarize(document)
    planted = folder / "planted.json"
    planted.write_text(json.dumps(document))
    out = folder / "page"
    code = report.main(argparse.Namespace(results=[], bench=str(planted), cases=None, out=str(out)))
    return argparse.Namespace(code=code, out=out, document=document,
                              html=(out / "index.html").read_text(), dom=dump_dom(out / "index.html"))


def test_the_benchmark_alone_writes_a_page_and_a_chart(page):
    assert page.code == 0
    chart = page.out / "bench.png"
    assert chart.read_bytes().startswith(PNG_SIGNATURE)
    pixels = np.asarray(Image.open(chart).convert("RGB")).astype(int)
    assert pixels.shape[1] > 1000 and pixels.std() > 10  # drawn, not blank
    assert "data:image/png;base64," in page.html  # self-contained
    assert "![" in (page.out / "index.md").read_text()


def test_the_page_shows_every_target_and_the_planted_miss(page):
    assert "Benchmark" in page.dom and "Targets" in page.dom and "Ratios" in page.dom
    for target in page.document["targets"]:
        assert target["target"] in page.dom
    # These small sizes carry no fast/native target; the ratios table shows the planted 100x.
    ratios = {(r["backend"], r["size"]): r for r in page.document["ratios"]}
    slow, real = ratios["planted", "64x64/3x3"], ratios["numpy", "64x64/3x3"]
    assert slow["fast_over_native"] == pytest.approx(100 * real["fast_over_native"])
    assert f"{slow['fast_over_native']:.2f}x" in page.dom
    assert "NOT MET" in page.dom  # the broken worker at least
    assert "broken: worker exited with 1" in page.dom
