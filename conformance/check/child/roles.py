"""The lesson's roles, and the functions and classes of a target that play them.

A role is what `check` knows how to put through the spec: the lesson's `corr2d` (X of shape
(H, W), K of (kh, kw)), the next section's `corr2d_multi_in` (C_in, H, W) with (C_in, kh,
kw), `corr2d_multi_in_out` (C_in, H, W) with (C_out, C_in, kh, kw) and
`corr2d_multi_in_out_1x1` (the same with 1x1 kernels), a true convolution, the `Conv2D`
layer class and a learning-loop function. Targets are matched by the lesson's names; a
function named `conv2d` is a cross-correlation (every framework means that by the name), as
are other functions whose names start with `corr2d_` or `conv2d_`; `--function ROLE=NAME`
maps any other name. Only what the target itself defines is checked: a name it imported (the
book's `d2l.corr2d`, a framework's `conv2d`) or a layer object that happens to be called
`conv2d` is noted and left alone.

`discover` runs in the child (it looks at the user's objects); `ROLES` is plain data that
the parent plans the cases from.
"""

import inspect
from dataclasses import dataclass


@dataclass(frozen=True)
class Role:
    name: str
    op: str  # the case op whose cases it takes
    pairing: tuple  # (X rank, K rank) of the cases it takes
    what: str
    one_by_one: bool = False  # only 1x1 kernels


ROLES = {
    "corr2d": Role("corr2d", "corr2d", (2, 2), "cross-correlation of X (H, W) with K (kh, kw)"),
    "corr2d_multi_in": Role("corr2d_multi_in", "corr2d", (3, 3),
                            "cross-correlation summed over input channels: X (C_in, H, W), K (C_in, kh, kw)"),
    "corr2d_multi_in_out": Role("corr2d_multi_in_out", "corr2d", (3, 4),
                                "one output channel per kernel: X (C_in, H, W), K (C_out, C_in, kh, kw)"),
    "corr2d_multi_in_out_1x1": Role("corr2d_multi_in_out_1x1", "corr2d", (3, 4),
                                    "1x1 kernels as a matrix product: K (C_out, C_in, 1, 1)", one_by_one=True),
    "convolution": Role("convolution", "conv2d", (2, 2), "true convolution (the kernel flipped both ways)"),
    "layer": Role("layer", "layer", (2, 2), "the Conv2D layer: Conv2D(kernel_size), its weight and bias"),
    "learn": Role("learn", "learn", (2, 2), "a learning loop: learn(X, Y, K_init, lr, steps)"),
}
# The lesson's names and the role each plays.
LESSON_NAMES = {"corr2d": "corr2d", "conv2d": "corr2d", "corr2d_multi_in": "corr2d_multi_in",
                "corr2d_multi_in_out": "corr2d_multi_in_out",
                "corr2d_multi_in_out_1x1": "corr2d_multi_in_out_1x1", "Conv2D": "layer"}
PREFIXES = ("corr2d_", "conv2d_")
GEOMETRY = ("padding", "stride", "dilation")
# A learning loop's inputs (the learn op's): each role of an argument and the names it goes by.
LEARN_ARGUMENTS = {
    "X": ("X", "x", "inputs", "features"),
    "Y": ("Y", "y", "targets", "labels", "target"),
    "K_init": ("K_init", "K", "k", "kernel", "K0", "k_init", "init_kernel", "kernel_init"),
    "lr": ("lr", "learning_rate", "eta"),
    "steps": ("steps", "num_steps", "epochs", "num_epochs", "n_steps", "iterations", "num_iters"),
}
LEARN_OPTIONAL = {"bias": ("bias", "b", "bias_init"), "learn_bias": ("learn_bias",)}


def parse_mapping(items):
    """--function ROLE=NAME ... -> {NAME: ROLE}; ValueError (a usage error) on a bad one."""
    mapping = {}
    for item in items or ():
        role, sep, name = item.partition("=")
        if not sep or not name.isidentifier() or role not in ROLES:
            raise ValueError(f"--function takes ROLE=NAME with ROLE one of {', '.join(ROLES)}; got {item!r}")
        mapping[name] = role
    return mapping


def _role_by_prefix(name):
    for suffix in ("multi_in_out_1x1", "multi_in_out", "multi_in"):
        if suffix in name:
            return f"corr2d_{suffix}"
    return "corr2d"


def learn_arguments(parameters):
    """{learn input: the function's parameter name} when `parameters` take every learn input."""
    found = {}
    for role, names in {**LEARN_ARGUMENTS, **LEARN_OPTIONAL}.items():
        match = next((p for p in parameters if p in names and p not in found.values()), None)
        if match:
            found[role] = match
    return found if set(LEARN_ARGUMENTS) <= set(found) else None


def _parameters(obj):
    target = obj.__init__ if inspect.isclass(obj) else obj
    try:
        signature = inspect.signature(target)
    except (TypeError, ValueError):
        return []
    params = list(signature.parameters.values())
    if inspect.isclass(obj) and params and params[0].name == "self":
        params = params[1:]
    return [{"name": p.name, "kind": p.kind.name, "default": p.default is not inspect.Parameter.empty}
            for p in params]


def _defined_in(obj, filenames):
    """Whether the target's own code defined `obj` (a function, or a class with a method)."""
    members = [obj] if inspect.isfunction(obj) else list(vars(obj).values()) if inspect.isclass(obj) else []
    functions = [inspect.unwrap(m) for m in members if callable(m)]  # a framework may wrap the methods
    return any(getattr(f, "__code__", None) and f.__code__.co_filename in filenames for f in functions)


def _origin(obj):
    code = getattr(obj, "__code__", None)
    return code.co_filename if code else getattr(obj, "__module__", "?")


def discover(namespace, filenames, *, mapping, only=None):
    """(subjects, notes): the target's objects that play a role, as plain dicts, and what was
    left alone and why."""
    subjects, notes = [], []
    names = [only] if only else list(namespace)
    for name in names:
        if name not in namespace:
            continue
        obj = namespace[name]
        role, found = mapping.get(name), "--function"
        if role is None and name in LESSON_NAMES:
            role, found = LESSON_NAMES[name], "the lesson's name"
        if role is None and name.startswith(PREFIXES) and inspect.isfunction(obj):
            role, found = _role_by_prefix(name), "its name"
        if role is None and inspect.isfunction(obj) and learn_arguments([p["name"] for p in _parameters(obj)]):
            role, found = "learn", "its parameters (the learn op's inputs)"
        if role is None and only:
            role, found = ("layer", "the target's name") if inspect.isclass(obj) else ("corr2d", "the target's name")
        if role is None:
            continue
        wants_class = role == "layer"
        if wants_class != inspect.isclass(obj) or not (inspect.isclass(obj) or inspect.isfunction(obj)):
            kind = "class" if wants_class else "function"
            notes.append(f"{name} is a {type(obj).__module__}.{type(obj).__qualname__} object, not a {kind}: "
                         f"not checked as {role}")
            continue
        if not _defined_in(obj, filenames):
            notes.append(f"{name} is not defined by the target (it comes from {_origin(obj)}): not checked")
            continue
        subjects.append({"name": name, "role": role, "kind": "class" if wants_class else "function",
                         "params": _parameters(obj), "found": found})
    return subjects, notes
