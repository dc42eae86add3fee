"""The frameworks' own groups, "same" and padding modes behave as the porting guide (each
backend's idioms, in its backend.toml) says: each backend's folder pins the facts its choices
rest on (backends/NAME/tests/, run in its own session), so that the day a framework changes,
a test says which choice to revisit. Here: what they are measured against, and that every
backend has them."""

import ast
import pathlib

import numpy as np

from convsuite import backends
from convsuite.spec import reference, shapes
from even_kernel import EVEN_K, EVEN_SAME, EVEN_X


def _tests_in(folder):
    return [node.name for path in sorted(folder.glob("test_*.py"))
            for node in ast.parse(path.read_text()).body
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")]


def test_every_backend_has_facts_pinned():
    for name in backends.names():
        folder = backends.declaration(name).folder / "tests"
        assert _tests_in(folder), f"{folder}: no test pins the framework's own facts"


def test_the_frameworks_are_measured_against_the_spec_s_same():
    same = shapes.Geometry(padding="same")
    assert shapes.conv_geometry(EVEN_X.shape, EVEN_K.shape, same).padding == ((0, 1), (0, 1))
    np.testing.assert_array_equal(reference.corr2d(EVEN_X, EVEN_K, same), EVEN_SAME)
