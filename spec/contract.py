"""The error contract: which bad input raises which exception, in every backend.

Bad input is rejected here, in NumPy, before any framework sees it, so every backend raises
the same exception type with the same message:

- ``TypeError``: a value that is not a number (strings, booleans, null, objects), a count
  (steps, padding, stride, dilation, groups) that is not an integer, a flag that is not a
  boolean;
- ``ValueError``: everything else that is numeric but wrong: ragged nested lists, wrong
  rank or rank pairing, empty arrays, a window larger than the padded input, channels of
  X and K that do not match (C_in = G * K's channels), zero or negative stride or dilation,
  negative padding, groups below 1 or not dividing C_in and C_out (or with an input of rank
  2), reflect padding as large as the input, circular padding larger than it (see
  `spec.shapes`), shapes that do not match (Y, G, bias), non-positive step counts, a
  non-finite learning rate, an unknown dtype, op, layer kind, padding name or padding mode.
"""

import math
import numbers
from typing import Any, TypeGuard

import numpy as np
from numpy.typing import NDArray

DTYPES = ("float32", "float64")


def _is_number(value: object) -> TypeGuard[numbers.Real]:
    # bool is an int subclass in Python, but True/False in a case file is a typo, not data.
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _nested_shape(value: object, name: str) -> tuple[int, ...]:
    """Shape of a nested list of numbers; TypeError on non-numbers, ValueError if ragged."""
    if _is_number(value):
        return ()
    if not isinstance(value, (list, tuple)):
        raise TypeError(f"{name} holds a non-numeric value {value!r}")
    shapes = {_nested_shape(item, name) for item in value}
    if len(shapes) > 1:
        raise ValueError(f"{name} is a ragged nested list (rows of different shapes)")
    inner = shapes.pop() if shapes else ()
    return (len(value),) + inner


def dtype(value: object) -> str:
    if value not in DTYPES:
        raise ValueError(f"dtype must be one of {DTYPES}, got {value!r}")
    return str(value)


def array(value: Any, name: str, *, dtype_name: str, ndim: tuple[int, ...]) -> NDArray[Any]:
    """A nested list (or a float64 array, generated) as a NumPy array of `dtype_name` whose
    rank is one of `ndim`."""
    shape = value.shape if isinstance(value, np.ndarray) else _nested_shape(value, name)
    if len(shape) not in ndim:
        ranks = " or ".join(str(rank) for rank in ndim)
        raise ValueError(f"{name} must have rank {ranks}, got shape {shape}")
    if 0 in shape:
        raise ValueError(f"{name} is empty (shape {shape})")
    # Go through float64 so integers beyond 2**53 and float32 rounding happen once, here.
    return np.asarray(np.array(value, dtype=np.float64), dtype=dtype_name)


def number(value: object, name: str) -> float:
    if not _is_number(value):
        raise TypeError(f"{name} must be a number, got {value!r}")
    return float(value)


def finite_number(value: object, name: str) -> float:
    checked = number(value, name)
    if not math.isfinite(checked):
        raise ValueError(f"{name} must be finite, got {checked!r}")
    return checked


def boolean(value: object, name: str) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be true or false, got {value!r}")
    return value


def positive_int(value: object, name: str) -> int:
    if not isinstance(value, numbers.Integral) or isinstance(value, bool):
        raise TypeError(f"{name} must be an integer, got {value!r}")
    if value <= 0:
        raise ValueError(f"{name} must be positive, got {value!r}")
    return int(value)


def choice(value: object, name: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise ValueError(f"{name} must be one of {allowed}, got {value!r}")
    return str(value)
