"""The README's case examples are real cases: they parse, run and meet the reference."""

import json
import pathlib
import re

from convsuite import backends
from convsuite.conformance.harness.compare import compare
from convsuite.conformance.harness.runner import run_cases
from convsuite.spec import cases
from planting import messages

README = pathlib.Path(__file__).resolve().parent.parent / "README.md"


def test_every_json_example_in_the_readme_is_a_passing_case():
    numpy_backend = backends.load("numpy")
    examples = [json.loads(block) for block in re.findall(r"```json\n(.*?)```", README.read_text(), re.S)]
    assert {case["op"] for case in examples} == set(cases.INPUTS)  # one example per op at least
    outcome = compare([{"backend": "numpy", "results": run_cases(numpy_backend, examples)}], examples)
    assert outcome.ok, messages(outcome)
    for example, result in zip(examples, run_cases(numpy_backend, examples)):  # raises only when it says so
        assert ("error" in result) == ("error" in example.get("expect", {})), example["id"]
