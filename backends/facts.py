"""A backend's facts: its folder's ``backend.toml``, read and checked without importing its
framework, as a `backends.contract.Declaration`.

Every field is checked: an unknown or misspelt one, a wrong type, a threshold on an unknown
measure, a file the folder lacks is a ContractError naming the backend.toml. Files it names
(requirements, after-install scripts) are found in the backend's folder and given as the
checkout names them (``backends/NAME/requirements.txt``, `convsuite.resource`).
"""

import importlib.util
import pathlib
import tomllib

from convsuite.backends.contract import CAPABILITIES, ContractError, Declaration, Environment, Threshold
from convsuite.spec.shapes import MEASURES

FIELDS = {  # field -> (type, required)
    "framework": (str, True),  # its name in prose: "PyTorch"
    "requirements": (str, True),  # the pinned requirements of its environment, in its folder
    "python": (str, True),  # the Python of that environment
    "variants": (list, False),  # further environments of the same backend (Variant)
    "flushes_subnormals": (bool, True),  # computes subnormal float32 results as zero
    "environment": (dict, False),  # variables set before the framework is imported
    "threads": (list, False),  # variables that limit its thread pools (workers set them to 1)
    "layer_bases": (list, True),  # qualified framework bases of Conv2D and BuiltinConv2D
    "capabilities": (list, False),  # keys of CAPABILITIES
    "idioms": (dict, False),  # porting idiom -> {"snippets": [...], "note": "..."}
    "thresholds": (list, False),  # where its code changes form (Threshold)
    "compile_cache": (str, False),  # the folder under ~/.cache/convsuite its compiled programs persist in
    "check": (dict, False),  # what `check` needs to know of the framework (CHECK_FIELDS)
    "cannot": (list, False),  # features a path of its framework cannot take (CANNOT_FIELDS)
}
# What `check` knows of a framework, declared by its backend, so that check/ names none:
# - "book_tab": the tab of Dive into Deep Learning's chapters that holds its code (default: the name);
# - "training_calls": the calls a training step makes in its idiom (loss.backward(), tape.gradient,
#   autograd.record, jax.grad): a top-level loop that makes one is a learning script;
# - "after_install": {distribution: script}: a script in its folder (run with the overlay's Python) that
#   makes the distribution work in this backend's environment after `check --install` adds it;
# - "forbidden": the dotted names (as their modules spell them, "package.module.function") of the
#   framework's built-in convolutions and cross-correlations: `check --forbid builtins` flags their use.
CHECK_FIELDS = {"book_tab": str, "training_calls": list, "after_install": dict, "forbidden": list}
THRESHOLD_FIELDS = {"name": str, "measure": str, "limit": (int, str), "ops": list, "when": dict, "code": str}
BOUNDS = ("min", "max")  # a threshold's "when": {measure: {"min": low, "max": high}}, either one optional
THRESHOLD_REQUIRED = {"name", "measure", "limit", "ops"}
THRESHOLD_OPS = ("corr2d", "conv2d", "layer", "grad", "learn")
# One feature (`conformance.harness.coverage.FEATURES`) that one op on one path cannot take in
# this framework, and why: the coverage table shows it instead of asking for a case.
CANNOT_FIELDS = {"path": str, "op": str, "feature": str, "why": str}
CANNOT_PATHS = ("fast", "builtin", "compiled", "compiled builtin")  # the coverage table's columns
VARIANT_FIELDS = {"session": str, "python": str, "requirements": str, "results": str, "why": str}


def module_path(module):
    """The source file of `module` (a package's __init__.py), found without importing it."""
    try:
        spec = importlib.util.find_spec(module)
    except ModuleNotFoundError:
        spec = None
    if spec is None or not spec.origin:
        raise ContractError(f"backend module {module!r} not found")
    return pathlib.Path(spec.origin)


FACTS = "backend.toml"


def _facts_file(path):
    """The backend's facts, from the backend.toml beside its package's __init__.py."""
    facts = path.parent / FACTS
    try:
        return tomllib.loads(facts.read_text())
    except FileNotFoundError:
        raise ContractError(f"{facts}: a backend's folder needs its facts file") from None
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ContractError(f"{facts}: not TOML ({exc})") from None


def _checked(raw, path):
    path = path.parent / FACTS
    unknown = sorted(set(raw) - set(FIELDS))
    if unknown:
        raise ContractError(f"{path}: unknown fields {unknown}; fields: {sorted(FIELDS)}")
    for field, (kind, required) in FIELDS.items():
        if required and field not in raw:
            raise ContractError(f"{path}: needs {field!r}")
        if field in raw and not isinstance(raw[field], kind):
            raise ContractError(f"{path}: {field!r} must be a {kind.__name__}")
    unknown = sorted(set(raw.get("capabilities", [])) - set(CAPABILITIES))
    if unknown:
        raise ContractError(f"{path}: unknown capabilities {unknown}; capabilities: {sorted(CAPABILITIES)}")
    for item in raw.get("thresholds", []):
        _check_threshold(item, path)
    for item in raw.get("cannot", []):
        _check_cannot(item, path)
    if len(raw["layer_bases"]) != 2:
        raise ContractError(f"{path}: layer_bases names two classes (Conv2D's, BuiltinConv2D's)")
    return raw


def _check_threshold(item, path):
    if not isinstance(item, dict) or not THRESHOLD_REQUIRED <= set(item) <= set(THRESHOLD_FIELDS):
        raise ContractError(f"{path}: a threshold has the fields {sorted(THRESHOLD_FIELDS)} "
                            f"({sorted(THRESHOLD_REQUIRED)} required), got {item!r}")
    for field, kind in THRESHOLD_FIELDS.items():
        if field in item and not isinstance(item[field], kind):
            raise ContractError(f"{path}: threshold {item.get('name')!r}: {field} has the wrong type")
    for measure, bounds in item.get("when", {}).items():
        if not isinstance(bounds, dict) or not set(bounds) <= set(BOUNDS) or not all(
                isinstance(v, int) for v in bounds.values()):
            raise ContractError(f"{path}: threshold {item['name']!r}: when.{measure} is {{min = N, max = N}}, "
                                f"got {bounds!r}")
    for measure in [item["measure"], *item.get("when", {})]:
        if measure not in MEASURES:
            raise ContractError(f"{path}: threshold {item['name']!r}: unknown measure {measure!r}; "
                                f"measures: {sorted(MEASURES)}")
    if unknown := sorted(set(item["ops"]) - set(THRESHOLD_OPS)):
        raise ContractError(f"{path}: threshold {item['name']!r}: unknown ops {unknown}")


def _check_cannot(item, path):
    if not isinstance(item, dict) or set(item) != set(CANNOT_FIELDS):
        raise ContractError(f"{path}: cannot holds dicts with exactly the fields "
                            f"{sorted(CANNOT_FIELDS)}, got {item!r}")
    if not all(isinstance(item[field], kind) for field, kind in CANNOT_FIELDS.items()):
        raise ContractError(f"{path}: cannot: every field is a string, got {item!r}")
    if item["op"] not in THRESHOLD_OPS or item["path"] not in CANNOT_PATHS:
        raise ContractError(f"{path}: cannot: op is one of {THRESHOLD_OPS} and path one of "
                            f"{CANNOT_PATHS}, got {item!r}")


def _threshold(item):
    when = {m: (bounds.get("min"), bounds.get("max")) for m, bounds in item.get("when", {}).items()}
    return Threshold(item["name"], item["measure"], item["limit"], tuple(item["ops"]), when, item.get("code", ""))


def _variant(raw, path, in_folder):
    if not isinstance(raw, dict) or set(raw) != set(VARIANT_FIELDS):
        raise ContractError(f"{path}: a variant has exactly the fields {sorted(VARIANT_FIELDS)}")
    return Environment(**{**raw, "requirements": in_folder(raw["requirements"])}, default=False)


def _in_folder(name, path):
    """A file of the backend's folder as the checkout names it (`convsuite.resource`)."""
    def named(relative):
        if not (path.parent / relative).is_file():
            raise ContractError(f"{path.parent / FACTS}: names {relative!r}, which its folder lacks")
        return f"backends/{name}/{relative}"
    return named


def declaration(name: str, module: str) -> Declaration:
    """The Declaration of backend `name`, whose package is `module`, read from its folder."""
    path = module_path(module)
    raw = _checked(_facts_file(path), path)
    in_folder = _in_folder(name, path)
    main = Environment(name, raw["python"], in_folder(raw["requirements"]), f"results/{name}.json", default=True)
    return Declaration(
        name=name, module=module, path=path, framework=raw["framework"],
        environments=(main, *(_variant(v, path, in_folder) for v in raw.get("variants", []))),
        flushes_subnormals=raw["flushes_subnormals"], environment=dict(raw.get("environment", {})),
        threads=tuple(raw.get("threads", [])), layer_bases=tuple(raw["layer_bases"]),
        capabilities=frozenset(raw.get("capabilities", [])), idioms=dict(raw.get("idioms", {})),
        thresholds=tuple(_threshold(item) for item in raw.get("thresholds", [])),
        compile_cache=raw.get("compile_cache"), cannot=tuple(raw.get("cannot", [])),
        check=_check_facts(raw.get("check", {}), name, path, in_folder),
    )


def _check_facts(raw, name, path, in_folder):
    path = path.parent / FACTS
    unknown = sorted(set(raw) - set(CHECK_FIELDS))
    if unknown:
        raise ContractError(f"{path}: check has unknown fields {unknown}; fields: {sorted(CHECK_FIELDS)}")
    for field, kind in CHECK_FIELDS.items():
        if field in raw and not isinstance(raw[field], kind):
            raise ContractError(f"{path}: check.{field} must be a {kind.__name__}")
    for item in raw.get("forbidden", []):
        if not (isinstance(item, str) and len(item.split(".")) >= 2
                and all(part.isidentifier() for part in item.split("."))):
            raise ContractError(f"{path}: check.forbidden holds dotted names "
                                f"(package.module.function), got {item!r}")
    after_install = {d: in_folder(script) for d, script in raw.get("after_install", {}).items()}
    return {"book_tab": name, "training_calls": [], "forbidden": [], **raw, "after_install": after_install}
