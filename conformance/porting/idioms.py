"""The idioms that differ between the frameworks: their names, in the guide's order, and the
topics whose code shows them. Each backend states its own way of doing each one in the
``idioms`` of its ``backend.toml`` (snippets of its code and what to know about them), and
`conformance.porting.sources` checks that every snippet occurs verbatim in the code of the
idiom's topics in that backend's files, so the guide cannot drift from the backends.
"""

from dataclasses import dataclass

from convsuite import backends
from convsuite.backends.facts import FACTS

# idiom -> the topics whose code must hold its snippets
TOPICS_OF = {
    "stack and sum arrays": ("corr2d",),
    "write one element": ("corr2d",),
    "contract the channels": ("corr2d",),
    "flip the kernel": ("conv2d",),
    "layer class and weights": ("Conv2D",),
    "forward pass": ("Conv2D",),
    "default initializers": ("Conv2D",),
    "built-in layer": ("builtin",),
    "input layout (NCHW/NHWC)": ("builtin",),
    "weight layout (OIHW/HWIO), set in place": ("builtin", "learn", "Conv2D"),
    "padding": ("builtin",),
    "groups": ("builtin",),
    "\"same\" padding": ("builtin",),
    "padding modes": ("builtin",),
    "stride with dilation": ("builtin",),
    "float64": ("builtin", "learn", "Conv2D"),  # Conv2D: the layer each path sets up
    "record gradients": ("learn", "grad"),
    "zero gradients": ("learn",),
    "backward on a non-scalar loss": ("learn", "grad"),
    "read a gradient": ("learn", "grad"),
    "update in place": ("learn",),
    "loss as a Python float": ("learn",),
    "compile the learning loop": ("compiled", "learn"),
}
WAY_FIELDS = {"snippets", "note"}


@dataclass(frozen=True)
class Way:
    """How one backend does an idiom: snippets of its code, and what to know about them."""

    snippets: tuple
    note: str = ""


def way(*snippets, note=""):
    return Way(snippets, note)


@dataclass(frozen=True)
class Idiom:
    name: str
    topics: tuple  # each snippet must occur in the code these topics show for its backend
    ways: dict  # backend -> Way; a backend left out is shown as "not stated"


def _way(declaration, idiom):
    raw = declaration.idioms[idiom]
    if not isinstance(raw, dict) or not set(raw) <= WAY_FIELDS:
        raise ValueError(f"{declaration.folder / FACTS}: idiom {idiom!r} takes only {sorted(WAY_FIELDS)}")
    return Way(tuple(raw.get("snippets", ())), raw.get("note", ""))


def collect(declarations):
    """Every idiom with each declaring backend's way; an idiom name that TOPICS_OF does not
    know is an error naming the backend's backend.toml."""
    for declaration in declarations:
        unknown = sorted(set(declaration.idioms) - set(TOPICS_OF))
        if unknown:
            raise ValueError(f"{declaration.folder / FACTS}: unknown idioms {unknown}; idioms: {list(TOPICS_OF)}")
    return tuple(
        Idiom(name, topics, {d.name: _way(d, name) for d in declarations if name in d.idioms})
        for name, topics in TOPICS_OF.items()
    )


IDIOMS = collect(backends.declarations())
