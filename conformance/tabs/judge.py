"""Judge a chapter's steps: do its tabs show the same thing at each step?

At a step, among the tabs that have it:
- a tab that raises where another does not disagrees, with its error; a step that raises in
  every tab is an error of the chapter's (not a disagreement between its tabs);
- a value that changes between a tab's two runs (different seeds) is random: then only the
  step's shapes are compared, and the line says so;
- otherwise values are compared: kinds (array, shape, tuple, text) and shapes exactly, the
  dtypes' kinds exactly (float, signed or unsigned integer, boolean, complex), integers and
  booleans exactly, floats within the suite's derived tolerance (`spec.tolerance`) at the
  lower precision of the two: twice the bound gamma(n + 2) * |value| of a sum of n rounded
  terms, plus twice the smallest normal number where subnormals may be flushed (two
  computations of one value, each within the bound of the exact one). A shown value has no
  case to derive n from; n is its element count, the longest sum a value of that size is
  taken to hold. NaN must match NaN, an infinity the same infinity; text must match exactly.
- a tab that shows nothing (its last line is a statement) is not compared, and listed.
The tabs that agree with the most others are the step's consensus; the others disagree.
"""

import numpy as np

from convsuite.spec import tolerance

AGREE, DISAGREE, ERROR, SINGLE = "agree", "disagree", "error", "one tab"


def _float_name(a, b):
    """The lower precision of two float (or complex) arrays, as spec.tolerance names it
    (float16 has no bound there: it is judged as float32, which is stricter)."""
    sizes = [x.real.dtype.itemsize for x in (a, b)]
    return "float32" if min(sizes) <= 4 else "float64"


def _close(a, b):
    """None, or (index, a's element, b's element, tolerance) of the worst element outside it."""
    name = _float_name(a, b)
    x, y = a.astype(np.complex128 if "c" in a.dtype.kind + b.dtype.kind else np.float64), \
        b.astype(np.complex128 if "c" in a.dtype.kind + b.dtype.kind else np.float64)
    n = max(a.size, 1)
    with np.errstate(invalid="ignore", over="ignore"):
        bound = (2 * tolerance.gamma(n + 2, name) * np.maximum(abs(x), abs(y)) + 2 * tolerance.TINY[name])
        nan = np.isnan(x) != np.isnan(y)
        inf = (np.isinf(x) | np.isinf(y)) & (x != y) & ~(np.isnan(x) & np.isnan(y))
        finite = np.isfinite(x) & np.isfinite(y)
        excess = np.where(finite, abs(x - y) / bound, 0.0)
    excess = np.where(nan | inf, np.inf, excess)
    if not excess.size or excess.max() <= 1:
        return None
    index = np.unravel_index(int(np.argmax(excess)), excess.shape)
    return index, x[index], y[index], bound[index]


def _dtype_kind(dtype):
    return {"f": "float", "i": "signed integer", "u": "unsigned integer", "b": "boolean", "c": "complex"}[dtype.kind]


def _shape_of(value):
    if value["kind"] == "array":
        return tuple(value["array"].shape), value["array"].dtype
    return tuple(value["shape"]), np.dtype(value["dtype"])


def describe(value, short=False):
    """A value in a few words: "float32 (2, 2) [[19. 25.] [37. 43.]]", "shape (1, 1, 6, 8)"."""
    kind = value["kind"]
    if kind == "none":
        return "no value"
    if kind == "shape":
        return f"shape {tuple(value['dims'])}"
    if kind == "text":
        text = " ".join(value["text"].split())
        return repr(text if len(text) <= 60 else text[:57] + "...")
    if kind == "tuple":
        return "(" + ", ".join(describe(item, short=True) for item in value["items"]) + ")"
    shape, dtype = _shape_of(value)
    words = f"{dtype.name} {shape}"
    if kind == "array" and value["array"].ndim == 0:
        words += f" {value['array'].item()!r}"
    elif kind == "array" and not short and 0 < value["array"].size <= 8:
        words += " " + " ".join(np.array2string(value["array"], precision=6, separator=" ").split())
    return words


def differ(a, b, shapes_only=False):
    """None where two tabs' values agree, else the reason in words (b's side first)."""
    if a["kind"] != b["kind"] and {a["kind"], b["kind"]} != {"array", "large"}:
        return f"{describe(b)} where the others show {describe(a)}"
    kind = a["kind"]
    if kind == "none":
        return None
    if kind == "shape":
        return None if a["dims"] == b["dims"] else f"{describe(b)} vs {describe(a)}"
    if kind == "text":
        return None if shapes_only or a["text"] == b["text"] else f"text {describe(b)} vs {describe(a)}"
    if kind == "tuple":
        if len(a["items"]) != len(b["items"]):
            return f"{len(b['items'])} items vs {len(a['items'])}"
        for index, (x, y) in enumerate(zip(a["items"], b["items"])):
            why = differ(x, y, shapes_only)
            if why:
                return f"item {index}: {why}"
        return None
    (shape_a, dtype_a), (shape_b, dtype_b) = _shape_of(a), _shape_of(b)
    if shape_a != shape_b:
        return f"shape {shape_b} vs {shape_a}"
    if dtype_a.kind != dtype_b.kind:
        return f"{_dtype_kind(dtype_b)} ({dtype_b.name}) vs {_dtype_kind(dtype_a)} ({dtype_a.name})"
    if shapes_only or "large" in (a["kind"], b["kind"]):
        return None
    x, y = a["array"], b["array"]
    if dtype_a.kind in "fc":
        worst = _close(x, y)
        if worst:
            index, ours, theirs, bound = worst
            return (f"{theirs.item()!r} vs {ours.item()!r} at {tuple(int(i) for i in index)} (beyond the tolerance "
                    f"{bound:.3g} of {_float_name(x, y)})")
        return None
    if not np.array_equal(x, y):
        index = tuple(int(i) for i in np.argwhere(x != y)[0])
        return f"{y[index].item()!r} vs {x[index].item()!r} at {index}"
    return None


def identical(a, b):
    """Whether two runs of one tab showed the very same value (bit for bit, text for text)."""
    if a["kind"] != b["kind"]:
        return False
    if a["kind"] == "array":
        x, y = a["array"], b["array"]
        return x.dtype == y.dtype and x.shape == y.shape and x.tobytes() == y.tobytes()
    if a["kind"] == "tuple":
        return len(a["items"]) == len(b["items"]) and all(map(identical, a["items"], b["items"]))
    return {k: v for k, v in a.items() if k != "type"} == {k: v for k, v in b.items() if k != "type"}


def _error_words(error):
    where = f" at {error['where']}" if error.get("where") else ""
    install = f" (add it with --install {error['install']})" if error.get("install") else ""
    return f"{error['type']}: {error['message']}{where}{install}"


def _consensus(values, shapes_only):
    """(the reference tab, {tab: reason} of the tabs that disagree with it)."""
    tabs = list(values)
    agree = {t: [u for u in tabs if u != t and differ(values[t], values[u], shapes_only) is None] for t in tabs}
    reference = max(tabs, key=lambda t: (len(agree[t]), -tabs.index(t)))
    reasons = {t: differ(values[reference], values[t], shapes_only) for t in tabs if t != reference}
    reasons = {t: why for t, why in reasons.items() if why}
    if reasons and not agree[reference]:  # no two agree: no consensus, every tab is named
        reasons[reference] = "agrees with no other tab"
    return reference, reasons


def step(number, line, *, having, missing, seen):
    """One step's verdict. `seen`: {tab: [observation of run 1, of run 2]}."""
    cells = {tab: {"shown": "", "error": None, "printed": runs[0]["printed"], "random": False,
                   "disagrees": False, "reason": None} for tab, runs in seen.items()}
    result = {"step": number, "line": line, "tabs": having, "missing": missing, "status": AGREE,
              "random": [], "no_value": [], "cells": cells, "line_text": ""}
    raising = [t for t, runs in seen.items() if runs[0]["error"]]
    calm = [t for t in seen if t not in raising]
    notes = []
    for tab in raising:
        cells[tab]["error"] = seen[tab][0]["error"]
        cells[tab]["shown"] = "raises " + _error_words(seen[tab][0]["error"])
    if raising and not calm:
        result["status"] = ERROR  # in the one tab that has it, too: the chapter breaks there
        notes.append(("raises in every tab: " if len(seen) > 1 else "raises: ") + "; ".join(f"{t}: {_error_words(cells[t]['error'])}" for t in raising))
    elif raising:
        result["status"] = DISAGREE
        for tab in raising:
            cells[tab].update(disagrees=True, reason=cells[tab]["shown"])
        notes.append(f"{', '.join(raising)} raise{'s' if len(raising) == 1 else ''}, {', '.join(calm)} "
                     f"do{'es' if len(calm) == 1 else ''} not: " + "; ".join(
                         f"{t}: {_error_words(cells[t]['error'])}" for t in raising))
    values = {}
    for tab in calm:
        first, second = (seen[tab] + seen[tab])[:2]
        cells[tab]["shown"] = describe(first["value"])
        if second["error"] or not identical(first["value"], second["value"]):
            cells[tab]["random"] = True
            result["random"].append(tab)
        if first["value"]["kind"] == "none":
            result["no_value"].append(tab)
        else:
            values[tab] = first["value"]
    shapes_only = bool(result["random"])
    if len(values) > 1:
        reference, reasons = _consensus(values, shapes_only)
        for tab, why in reasons.items():
            cells[tab].update(disagrees=True, reason=why)
        if reasons:
            result["status"] = DISAGREE
            notes.append("; ".join(f"{tab}: {why}" for tab, why in reasons.items()) +
                         (f" (the others: {describe(values[reference])})" if reference not in reasons else ""))
        else:
            notes.append(describe(values[reference]))
    elif len(seen) == 1 and result["status"] == AGREE:
        result["status"] = SINGLE
        notes += [describe(v) for v in values.values()] + ["nothing to compare with"]
    elif values:
        notes.append(describe(next(iter(values.values()))))
    elif not raising:
        notes.append("no value shown")
    if result["random"]:
        notes.append(f"random in {', '.join(result['random'])} (changes between two seeds): only shapes compared")
    if result["no_value"] and values:
        notes.append(f"no value shown in {', '.join(result['no_value'])}")
    if missing:
        notes.append(f"only in {', '.join(having)} (not in {', '.join(missing)})")
    result["line_text"] = "; ".join(notes)
    return result
