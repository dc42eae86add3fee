"""The backend contract: every registered backend meets it, a new backend costs its own folder
and one registry line, and no framework is named outside backends/NAME/ (and tests/).

None of this imports a framework: declarations and names are read from the source, so it
runs in every backend's session.
"""

import ast
import io
import pathlib
import re
import subprocess
import sys
import tokenize

import pytest

from convsuite import backends
from convsuite.backends import contract
from planting import throwaway_backend, without_name

ROOT = pathlib.Path(__file__).resolve().parent.parent
# Documented differences are data about frameworks, and the registry names each backend's
# folder (the rule's exceptions); course/ is the learners' code `check` is tested on, in their
# frameworks (not the project's code).
EXEMPT = {"spec/differences.py", "backends/registry.py"}
# The array library every part of the project shares (spec/ computes in it): not a framework
# in the sense of the rule, though it is also a backend's.
SHARED = {"numpy", "np"}


@pytest.mark.parametrize("name", backends.names())
def test_every_registered_backend_meets_the_contract(name):
    declaration = backends.declaration(name)
    assert declaration.missing() == [], f"{declaration.path}: {declaration.missing()}"
    assert declaration.main.session == name and declaration.main.default
    assert pathlib.Path(ROOT, declaration.main.requirements).is_file()
    for variant in declaration.environments[1:]:
        assert pathlib.Path(ROOT, variant.requirements).is_file() and not variant.default


def test_a_backend_without_a_required_name_fails_and_names_it(tmp_path, monkeypatch):
    folder = throwaway_backend(tmp_path, monkeypatch, "lacking")
    without_name(folder / "__init__.py", "grad")  # the package's __init__ names its public API
    with pytest.raises(contract.ContractError, match=r"required name 'grad'"):
        backends.load("lacking")
    assert any("'grad'" in problem for problem in backends.declaration("lacking").missing())


def test_a_capability_must_be_declared_and_defined_together(tmp_path, monkeypatch):
    # NumPy's folder (which the throwaway backends copy) defines and declares a compiled path.
    declared = 'capabilities = [\n    "compiled",\n]'
    folder = throwaway_backend(tmp_path, monkeypatch, "undeclared")
    facts = folder / "backend.toml"
    assert declared in facts.read_text()
    assert any("def corr2d_compiled(" in path.read_text() for path in folder.glob("*.py"))
    facts.write_text(facts.read_text().replace(declared, "capabilities = []", 1))
    assert "capability 'compiled', whose name 'corr2d_compiled' it defines" in backends.declaration("undeclared").missing()
    (tmp_path / "other").mkdir()
    facts = throwaway_backend(tmp_path / "other", monkeypatch, "promising") / "backend.toml"
    facts.write_text(facts.read_text().replace(declared, 'capabilities = ["compiled", "wait"]', 1))
    assert "name 'wait' of its declared capability 'wait'" in backends.declaration("promising").missing()


def test_a_misspelt_declaration_field_is_an_error_naming_the_file(tmp_path, monkeypatch):
    facts = throwaway_backend(tmp_path, monkeypatch, "misspelt") / "backend.toml"
    facts.write_text(facts.read_text().replace("\nflushes_subnormals =", "\nflushes_subnormal =", 1))
    with pytest.raises(contract.ContractError, match=re.escape(f"{facts}: unknown fields ['flushes_subnormal']")):
        backends.declaration("misspelt")


def test_a_misspelt_check_fact_is_an_error_naming_the_file(tmp_path, monkeypatch):
    facts = throwaway_backend(tmp_path, monkeypatch, "misspeltcheck") / "backend.toml"
    facts.write_text(facts.read_text().replace("\nbook_tab =", "\nbook_tabs =", 1))
    with pytest.raises(contract.ContractError, match=re.escape(f"{facts}: check has unknown fields ['book_tabs']")):
        backends.declaration("misspeltcheck")


def test_a_new_backend_is_a_folder_and_one_registry_line(tmp_path, monkeypatch):
    """The dry run: register a throwaway backend and everything that reads the registry has
    it: it loads and runs every built-in case, the fuzzer and the bench a worker environment,
    the porting guide a column (nox's session and the workflow's job: tests/project;
    tests/test_new_backend.py reads its facts). Its compiled path is left out: Numba caches
    kernels by their file's path, and a copy in a fresh folder would compile them all anew."""
    from convsuite.conformance.harness.compare import compare
    from convsuite.conformance.harness.environment import worker_environment
    from convsuite.conformance.harness.runner import run_paths
    from convsuite.conformance.porting import sources as guide
    from convsuite.spec import cases

    throwaway_backend(tmp_path, monkeypatch, "newcomer")
    assert "newcomer" in backends.names()
    newcomer = backends.load("newcomer")
    raw = cases.load()
    outcome = compare([{"backend": "newcomer", **run_paths(newcomer, raw, paths=["builtin"])}], raw)
    assert outcome.ok and "newcomer:builtin" in outcome.backends
    assert "newcomer" in [env.session for env in backends.environments()]
    assert worker_environment("newcomer")["PYTHONPATH"] == str(ROOT)
    assert "newcomer" in guide.read_sources()


def _framework_names():
    """Every framework's module names and aliases as its backend imports them, and the words
    of its name in prose ("PyTorch", "Gluon"), the shared array library aside."""
    roots, words = set(), set()
    for declaration in backends.declarations():
        for node in (node for path in declaration.sources() for node in ast.walk(ast.parse(path.read_text()))):
            if isinstance(node, ast.Import):
                for alias in node.names:
                    roots.add(alias.name.split(".")[0])
                    if alias.asname and len(alias.asname) > 1:  # tf, mx, jnp; not F
                        roots.add(alias.asname)
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                roots.add(node.module.split(".")[0])
        words |= set(re.findall(r"[A-Za-z]{3,}", declaration.framework))
    local = {"spec", "backends", "convsuite"}
    roots = {r for r in roots if r not in sys.stdlib_module_names and r not in local and r not in SHARED}
    words = {w for w in words if w.lower() not in SHARED}
    return roots, words


def _docstring_lines(tree):
    lines = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
                    and isinstance(body[0].value.value, str):
                lines |= set(range(body[0].lineno, body[0].end_lineno + 1))
    return lines


def framework_mentions(path, roots, words):
    """(line, text) of every name or string in `path`'s code (comments and docstrings aside)
    that names a framework."""
    text = path.read_text()
    docstrings = _docstring_lines(ast.parse(text))
    named = {w for w in roots | words if len(w) > 2}  # in prose and strings: "PyTorch", "jax"
    pattern = re.compile("|".join(re.escape(w) for w in sorted(named, key=len, reverse=True)), re.I)
    found = []
    for token in tokenize.generate_tokens(io.StringIO(text).readline):
        if token.start[0] in docstrings:
            continue
        if (token.type == tokenize.NAME and token.string in roots) or \
                (token.type == tokenize.STRING and pattern.search(token.string)):
            found.append((token.start[0], token.string))
    return found


def _python_files():
    """The project's Python files but those of a backend's folder (backends/NAME/)."""
    listed = subprocess.run(["git", "ls-files", "-c", "-o", "--exclude-standard", "*.py"], cwd=ROOT,
                            capture_output=True, text=True).stdout.split()
    folders = tuple(f"backends/{name}/" for name in backends.names())
    return [p for p in listed if not p.startswith((*folders, "tests/", "course/")) and p not in EXEMPT
            and (ROOT / p).is_file()]  # a tracked file being moved is listed, but gone


def test_no_framework_is_named_outside_the_backends_folders():
    roots, words = _framework_names()
    assert {"torch", "tf", "jax", "mxnet"} <= roots and "Gluon" in words  # the rule can see them
    offenders = {path: found for path in _python_files()
                 if (found := framework_mentions(ROOT / path, roots, words))}
    assert not offenders, f"frameworks named in code outside backends/NAME/: {offenders}"


def test_the_rule_catches_a_framework_named_in_code(tmp_path):
    roots, words = _framework_names()
    planted = tmp_path / "planted.py"
    planted.write_text('"""A docstring may say TensorFlow."""\n# and so may a comment: torch\n'
                       'import torch\nSESSIONS = ["PyTorch tests"]\n')
    assert [line for line, _ in framework_mentions(planted, roots, words)] == [3, 4]


SUITE_PACKAGES = {"spec", "backends", "conformance", "tests"}


def _imports(path):
    """The top-level names a module imports (a relative import as '.')."""
    tree = ast.parse(path.read_text())
    names = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
             for alias in node.names}
    return names | {"." if node.level else node.module.split(".")[0] for node in ast.walk(tree)
                    if isinstance(node, ast.ImportFrom)}


@pytest.mark.parametrize("name", backends.names())
def test_every_backend_gives_checks_sandbox_an_adapter_that_imports_nothing_of_the_suite(name):
    """check's sandboxed child sees only its package and this file: never spec's reference."""
    path = backends.declaration(name).adapter
    assert path.is_file(), f"{name} has no {path.relative_to(ROOT)} (see backends/contract.py)"
    defined = {node.name for node in ast.parse(path.read_text()).body if isinstance(node, ast.FunctionDef)}
    assert {"asarray", "to_numpy", "versions"} <= defined, (name, defined)
    assert not _imports(path) & SUITE_PACKAGES, (name, _imports(path))


def test_checks_child_package_imports_nothing_of_the_suite():
    for path in (ROOT / "conformance" / "check" / "child").glob("*.py"):
        assert not _imports(path) & SUITE_PACKAGES, (path.name, _imports(path) & SUITE_PACKAGES)
