"""Compile once, not every run: a backend that compiles keeps its programs in a user cache
folder outside the checkout (`backends.common.cache_folder`), so that a rerun loads them; each
such backend declares which (`compile_cache`), and its programs must land there."""

import os
import pathlib
import subprocess
import sys

import pytest

from convsuite import backends

ROOT = pathlib.Path(__file__).resolve().parent.parent
COMPILE_ONE = """
import numpy as np
from convsuite import backends
b = backends.load({name!r})
print(b.to_numpy(b.corr2d_compiled(b.asarray(np.ones((6, 8), np.float32)), b.asarray(np.ones((1, 2), np.float32)))).sum())
"""


def test_compiled_programs_persist_in_the_user_cache_folder(backend, tmp_path):
    folder = backends.declaration(backend.name).compile_cache  # what the backend declares
    if folder is None:
        pytest.skip(f"{backend.name} declares no compile_cache: nothing it compiles persists between runs")
    env = {**os.environ, "XDG_CACHE_HOME": str(tmp_path), "PYTHONPATH": str(ROOT)}
    env.pop("NUMBA_CACHE_DIR", None)
    done = subprocess.run([sys.executable, "-c", COMPILE_ONE.format(name=backend.name)], cwd=tmp_path,
                          env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert float(done.stdout.split()[-1]) == 6 * 7 * 2
    folder = tmp_path / "convsuite" / folder
    assert folder.is_dir() and any(p.is_file() for p in folder.rglob("*")), f"nothing cached in {folder}"
