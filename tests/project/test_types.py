"""The type checker of the test command: mypy, strict on the contract (spec/) and the harness
(pyproject.toml's [tool.mypy]), runs clean; and it is no formality: a wrong type planted at a
seam between them, in a copy of the tree, fails it naming the file and line.

mypy runs from a folder that lays convsuite/ out as the installed wheel does, made of links
to the checkout (mypy does not follow the __path__ extension by which a checkout imports
spec/, backends/ and conformance/ from the top). Run in the project session, whose
environment pins mypy."""

import pathlib
import re
import shutil
import subprocess
import sys

ROOT = pathlib.Path(__file__).resolve().parents[2]
FOLDERS = ("spec", "backends", "conformance")


def _tree(folder, copied=()):
    """convsuite/ as installed, of links to the checkout; the files in `copied` (relative to
    the checkout) are copies, to plant a bug in."""
    package = folder / "convsuite"
    package.mkdir(parents=True)
    (package / "__init__.py").symlink_to(ROOT / "convsuite" / "__init__.py")
    (folder / "pyproject.toml").symlink_to(ROOT / "pyproject.toml")
    for name in FOLDERS:
        _link(ROOT / name, package / name, {ROOT / c for c in copied})
    return folder


def _link(source, target, copied):
    """`target` a link to `source`, a copy of it, or (where a copied file lies beneath) a
    folder of links."""
    if source in copied:
        shutil.copyfile(source, target)
        return
    if not any(source in c.parents for c in copied):
        target.symlink_to(source)
        return
    target.mkdir()
    for entry in source.iterdir():
        if entry.name != "__pycache__":
            _link(entry, target / entry.name, copied)


def _mypy(folder):
    return subprocess.run([sys.executable, "-m", "mypy", "--cache-dir", str(folder / ".mypy_cache")],
                          cwd=folder, capture_output=True, text=True)


def test_the_contract_and_the_harness_type_check_clean(tmp_path):
    done = _mypy(_tree(tmp_path))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Success: no issues found" in done.stdout


def _plant(tree, relative, old, new):
    path = tree / "convsuite" / relative
    text = path.read_text()
    assert old in text, f"{relative} no longer has {old!r}: plant the bug elsewhere"
    path.write_text(text.replace(old, new, 1))
    return text[:text.index(old)].count("\n") + 1  # the line of the plant


def test_a_dict_passed_where_a_geometry_goes_fails_the_check(tmp_path):
    """The seam the Geometry value replaced: the five keywords as a dict, to the reference."""
    tree = _tree(tmp_path, copied=["spec/tolerance.py"])
    line = _plant(tree, "spec/tolerance.py", "one_group = dataclasses.replace(g.settings, groups=1)",
                  "one_group = {**vars(g.settings), \"groups\": 1}")
    done = _mypy(tree)
    assert done.returncode == 1
    assert re.search(rf"convsuite/spec/tolerance\.py:{line + 1}: error: .*\"Geometry\"", done.stdout), done.stdout


def test_a_raw_case_of_the_wrong_type_in_the_harness_fails_the_check(tmp_path):
    """The seam between the harness and the contract: a case parsed from anything but its JSON object."""
    harness = ROOT / "conformance" / "harness"
    relative = next(f"conformance/harness/{p.name}" for p in sorted(harness.glob("*.py"))
                    if "cases.parse(" in p.read_text())
    tree = _tree(tmp_path, copied=[relative])
    source = (ROOT / relative).read_text()
    call = re.search(r"cases\.parse\(([^()]+)\)", source)
    line = _plant(tree, relative, call.group(0), f"cases.parse(str({call.group(1)}))")
    done = _mypy(tree)
    assert done.returncode == 1
    assert re.search(rf"convsuite/{re.escape(relative)}:{line}: error: Argument 1 to \"parse\"", done.stdout), done.stdout
