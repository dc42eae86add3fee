"""What a chapter's cell shows, as plain data for `tabs` (in the child; nothing is judged here).

A cell shows its last expression's value, as IPython's display does. It travels as:
- an array: any framework's tensor (anything with a shape and a dtype that the framework's
  adapter turns into NumPy), a NumPy array or scalar, a Python number or boolean; sent as its
  raw bytes with its dtype and shape (`protocol.encode_array`), numbers as 0-d arrays;
- a shape: `torch.Size`, `TensorShape` (its `as_list()`), a tuple or list of integers;
- a tuple: a tuple or list of other values (`X.shape, Y.shape`), its items described alike;
- large: an array of over MAX_ELEMENTS elements, as its dtype and shape only;
- text: anything else (an array not of numbers too), as its `repr`;
- none: a cell whose last line is not an expression, or whose value is None.
"""

import numpy as np

from .protocol import encode_array

MAX_ELEMENTS = 1 << 20  # a value a chapter shows is small; a larger one travels as its shape
MAX_TEXT = 2000
MAX_ITEMS = 16
MAX_DEPTH = 3
NUMBER_KINDS = "biufc"


def _type(value):
    kind = type(value)
    return f"{kind.__module__}.{kind.__qualname__}"


def _text(value):
    try:
        text = repr(value)
    except Exception as exc:  # the user's __repr__ may raise: that, as text
        text = f"<{_type(value)}: repr raised {type(exc).__name__}>"
    return text if len(text) <= MAX_TEXT else text[: MAX_TEXT - 3] + "..."


def _dims(value):
    """The dimensions of a shape-like value, or None when it is not one."""
    if hasattr(value, "as_list") and callable(value.as_list):
        try:
            dims = value.as_list()
        except Exception:  # a TensorShape of unknown rank
            return None
    elif isinstance(value, (tuple, list)) and value:
        dims = list(value)
    else:
        return None
    if all(d is None or (isinstance(d, (int, np.integer)) and not isinstance(d, (bool, np.bool_))) for d in dims):
        return [None if d is None else int(d) for d in dims]
    return None


def _as_array(value, framework):
    if isinstance(value, (bool, int, float, complex, np.generic, np.ndarray)):
        return np.asarray(value)
    if hasattr(value, "shape") and hasattr(value, "dtype"):
        return np.asarray(framework.to_numpy(value))
    return None


def describe(value, framework, depth=0):
    """The value as {"kind", "type", ...} (module docstring)."""
    info = {"type": _type(value)}
    if value is None:
        return {**info, "kind": "none"}
    dims = _dims(value)
    if dims is not None:
        return {**info, "kind": "shape", "dims": dims}
    if isinstance(value, (tuple, list)) and depth < MAX_DEPTH and len(value) <= MAX_ITEMS:
        return {**info, "kind": "tuple", "items": [describe(item, framework, depth + 1) for item in value]}
    try:
        array = _as_array(value, framework)
    except Exception as exc:  # a tensor the adapter cannot read (a symbolic one): its text
        return {**info, "kind": "text", "text": f"{_text(value)} (not readable as an array: {type(exc).__name__})"}
    if array is None or array.dtype.kind not in NUMBER_KINDS:
        return {**info, "kind": "text", "text": _text(value)}
    if array.size > MAX_ELEMENTS:
        return {**info, "kind": "large", "dtype": array.dtype.str, "shape": list(array.shape)}
    # encode_array's ascontiguousarray makes a 0-d array 1-d: the shape is the array's own
    return {**info, "kind": "array", "array": {**encode_array(array), "shape": list(array.shape)}}
