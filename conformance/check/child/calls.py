"""One case through one of the target's functions or classes, in the child.

The parent sends the case's op and inputs (arrays as their bytes, `protocol.encode_array`)
and the geometry in the lesson's form (an int where both axes agree, else an (h, w) tuple);
the arrays become the framework's tensors (the adapter's `asarray`, in the array form the
target uses), and what comes back is described as plain data for the parent to judge: its
form (a tensor, a NumPy array, a list...), its type, dtype and values. Nothing is judged here,
and nothing to judge with is here: the user's code runs in this process.
"""

from types import SimpleNamespace

import numpy as np

from .layers import run as run_layer
from .protocol import decode_array

NUMERIC_KINDS = "fiu"  # floats and integers; booleans, strings and objects are not results


def _root(kind):
    return kind.__module__.split(".")[0]


def describe(value, backend, tensor_root):
    """A result as {"form", "type", "dtype", "shape", "values"} (values as float64 lists)."""
    info = {"type": f"{type(value).__module__}.{type(value).__qualname__}"}
    if value is None:
        return {**info, "form": "none"}
    if isinstance(value, (list, tuple)):
        form = "list"
    elif isinstance(value, np.ndarray):
        form = "tensor" if tensor_root == "numpy" else "ndarray"
    elif _root(type(value)) == tensor_root:
        form = "tensor"
    elif isinstance(value, (int, float, np.number)):
        form = "scalar"
    else:
        form = "other"
    try:
        if form == "list":  # of numbers, rows, or tensors (a loss per step)
            array = np.asarray([_numbers(item, backend) for item in value])
        else:
            array = backend.to_numpy(value) if form == "tensor" and tensor_root != "numpy" else np.asarray(value)
        if array.dtype.kind not in NUMERIC_KINDS:
            raise TypeError(f"its elements are {array.dtype} ({_kind_words(array.dtype)}), not numbers")
        values = np.asarray(array, dtype=np.float64)
    except Exception as exc:  # a result that is not numbers
        return {**info, "form": form, "unreadable": f"{type(exc).__name__}: {exc}"}
    return {**info, "form": form, "dtype": str(array.dtype), "shape": list(values.shape),
            "values": values.tolist()}


def _kind_words(dtype):
    return {"b": "booleans", "U": "strings", "S": "bytes", "O": "objects", "c": "complex numbers"}.get(
        dtype.kind, dtype.kind)


def _numbers(item, backend):
    try:
        array = np.asarray(backend.to_numpy(item))
    except Exception:
        array = np.asarray(item)
    if array.dtype.kind not in NUMERIC_KINDS:
        raise TypeError(f"an element is {array.dtype} ({_kind_words(array.dtype)}), not a number")
    return array


def _lesson_geometry(geometry):
    return {name: tuple(value) if isinstance(value, list) else value for name, value in geometry.items()}


def _is_losses(value, steps):
    try:
        return len(value) == steps and all(np.ndim(item) == 0 or np.size(item) == 1 for item in value)
    except TypeError:
        return False


def _learn_outputs(returned, steps):
    """A learning loop's return value as {"losses", "K"[, "bias"]} (K alone is a kernel)."""
    if isinstance(returned, dict):
        keys = {"losses": ("losses", "loss"), "K": ("K", "kernel", "weight", "k"), "bias": ("bias", "b")}
        return {field: returned[name] for field, names in keys.items() for name in names if name in returned}
    if isinstance(returned, (tuple, list)) and len(returned) in (2, 3) and _is_losses(returned[0], steps):
        return dict(zip(("losses", "K", "bias"), returned))
    return {"K": returned}


def run(call, namespace, *, backend, to_tensor):
    """({field: description}, extra) of one call; exceptions propagate to the caller."""
    inputs = {name: decode_array(value) if isinstance(value, dict) else value
              for name, value in call["inputs"].items()}
    case = SimpleNamespace(op=call["op"], inputs=inputs)
    subject = namespace[call["subject"]]
    geometry = _lesson_geometry(call.get("geometry", {}))
    root = _root(type(backend.asarray(np.zeros((1, 1), dtype=np.float32))))
    extra = {}
    with np.errstate(all="ignore"):
        if case.op in ("corr2d", "conv2d"):
            outputs = {"Y": subject(to_tensor(case.inputs["X"]), to_tensor(case.inputs["K"]), **geometry)}
        elif case.op == "layer":
            outputs, extra = run_layer(subject, case, geometry, to_tensor=to_tensor, framework=backend)
        else:
            names = call["arguments"]
            values = {"X": to_tensor(case.inputs["X"]), "Y": to_tensor(case.inputs["Y"]),
                      "K_init": to_tensor(case.inputs["K_init"]), "lr": case.inputs["lr"],
                      "steps": case.inputs["steps"], "learn_bias": case.inputs["learn_bias"],
                      "bias": float(case.inputs["bias"][0])}
            returned = subject(**{names[field]: values[field] for field in names}, **geometry)
            outputs = _learn_outputs(returned, case.inputs["steps"])
    return {field: describe(value, backend, root) for field, value in outputs.items()}, extra

