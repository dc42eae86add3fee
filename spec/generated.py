"""Generated arrays in the case format: large inputs that stay small on disk.

    "X": {"normal": [1100, 1100], "seed": 3, "checksum": "..."}

A generated array names one kind with its shape, a seed (an integer, 0 to 2**32 - 1, except
for "ones") and its checksum:

- ``{"uniform": shape, "seed": S}``: uniform in [0, 1), 53 random bits each;
- ``{"normal": shape, "seed": S}``: centred sums of 12 uniforms (Irwin-Hall): mean 0,
  variance 1, within [-6, 6), close to a standard normal;
- ``{"integers": shape, "seed": S, "low": a, "high": b}``: integers in [a, b);
- ``{"ones": shape}``: ones.

The numbers must be the same bits in every environment (MXNet's NumPy 1.23 beside NumPy 2.4
elsewhere), so they come from integer hashing alone: element i of seed S is built from
splitmix64 of (S, i, draw), in uint64 arithmetic, which wraps the same way in every NumPy,
and turned into floats by exact operations only (no log or cos, whose last bits differ
between builds). The "checksum", the first 16 hex digits of the SHA-256 of the array's
float64 little-endian bytes, is checked every time the case is read: a generator that
changed, or a misremembered seed, is an error naming the field, never a silently different
case. A generated array past `spec.caps.INFLATED_BYTES` (as float64) is refused before a
single number is drawn.
"""

import hashlib
import math
import numbers
from typing import Any, TypeGuard

import numpy as np
from numpy.typing import NDArray

from convsuite.spec import caps

KINDS = ("uniform", "normal", "integers", "ones")
FIELDS: dict[str, set[str]] = {"uniform": {"seed"}, "normal": {"seed"}, "integers": {"seed", "low", "high"}, "ones": set()}
GOLDEN = np.uint64(0x9E3779B97F4A7C15)
# Drawn per element: the normal kind sums this many uniforms (each a 32-bit integer).
IRWIN_HALL = 12


Hashes = NDArray[np.uint64]
Floats = NDArray[np.float64]


def _mix(z: Hashes | np.uint64) -> Hashes:
    """splitmix64's finalizer, elementwise on uint64 (wrapping multiplication)."""
    z = (z ^ (z >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return np.asarray(z ^ (z >> np.uint64(31)))


def _bits(seed: int, count: int, draw: int = 0) -> Hashes:
    """`count` 64-bit hashes of (seed, element index, draw)."""
    with np.errstate(over="ignore"):
        index = np.arange(count, dtype=np.uint64)
        key = _mix(np.uint64(seed) * GOLDEN + np.uint64(draw + 1))
        return _mix(key + (index + np.uint64(1)) * GOLDEN)


def _uniform(seed: int, count: int) -> Floats:
    return (_bits(seed, count) >> np.uint64(11)).astype(np.float64) * 2.0**-53  # exact


def _normal(seed: int, count: int) -> Floats:
    total = np.zeros(count, dtype=np.uint64)
    for draw in range(IRWIN_HALL):  # 12 x 32 bits: below 2**36, exact in float64
        total += _bits(seed, count, draw) >> np.uint64(32)
    return (total.astype(np.float64) - IRWIN_HALL * 2.0**31) * 2.0**-32


def _integers(seed: int, count: int, *, low: int, high: int) -> Floats:
    return low + (_bits(seed, count) % np.uint64(high - low)).astype(np.float64)


def is_generated(value: object) -> TypeGuard[dict[str, Any]]:
    return isinstance(value, dict)


def checksum(array: NDArray[Any]) -> str:
    data = np.ascontiguousarray(array, dtype="<f8").tobytes()
    return hashlib.sha256(data).hexdigest()[:16]


def _integer(value: object, name: str, low: int | None = None) -> int:
    if not isinstance(value, numbers.Integral) or isinstance(value, bool):
        raise TypeError(f"{name} must be an integer, got {value!r}")
    if low is not None and value < low:
        raise ValueError(f"{name} must be >= {low}, got {value!r}")
    return int(value)


def _spec(value: dict[str, Any], name: str, with_checksum: bool = True) -> tuple[str, tuple[int, ...], dict[str, int]]:
    """(kind, shape, fields) of a generated array, every field checked."""
    kinds = [k for k in KINDS if k in value]
    if len(kinds) != 1:
        raise ValueError(f"{name}: a generated array names exactly one of {KINDS}, got {sorted(value)}")
    kind = kinds[0]
    allowed = {kind} | FIELDS[kind] | ({"checksum"} if with_checksum else set())
    if unknown := sorted(set(value) - allowed):
        raise ValueError(f"{name}: unknown fields {unknown} for a {kind!r} array; it takes {sorted(allowed)}")
    if missing := sorted(allowed - set(value)):
        raise ValueError(f"{name}: a {kind!r} array needs {missing}")
    sizes = value[kind]
    if not isinstance(sizes, list) or not sizes:
        raise TypeError(f"{name}.{kind} must be a non-empty list of sizes, got {sizes!r}")
    shape = tuple(_integer(size, f"{name}.{kind}", low=1) for size in sizes)
    caps.inflated(name, math.prod(shape) * 8)  # before a single number is drawn: float64, 8 bytes each
    fields = {field: _integer(value[field], f"{name}.{field}") for field in FIELDS[kind]}
    if "seed" in fields and not 0 <= fields["seed"] < 2**32:
        raise ValueError(f"{name}.seed must be in [0, 2**32), got {fields['seed']}")
    if kind == "integers" and not fields["low"] < fields["high"] <= fields["low"] + 2**53:
        raise ValueError(f"{name}: integers needs low < high (within 2**53), got {fields['low']}, {fields['high']}")
    return kind, shape, fields


def _numbers(kind: str, shape: tuple[int, ...], fields: dict[str, int]) -> Floats:
    count = math.prod(shape)
    if kind == "ones":
        return np.ones(shape)
    if kind == "uniform":
        return _uniform(fields["seed"], count).reshape(shape)
    if kind == "normal":
        return _normal(fields["seed"], count).reshape(shape)
    return _integers(fields["seed"], count, low=fields["low"], high=fields["high"]).reshape(shape)


def generate(value: dict[str, Any], name: str = "array") -> Floats:
    """The float64 array a generated-array object describes, its checksum verified."""
    array = _numbers(*_spec(value, name))
    if not isinstance(value["checksum"], str):
        raise TypeError(f"{name}.checksum must be a string, got {value['checksum']!r}")
    if value["checksum"] != checksum(array):
        raise ValueError(f"{name}: checksum {value['checksum']!r} does not match the generated numbers "
                         f"({checksum(array)!r}): the seed, the shape or the generator differs")
    return array


def describe(kind: str, shape: tuple[int, ...] | list[int], **fields: int) -> dict[str, Any]:
    """The case-file object for a generated array, with its checksum (for writing cases)."""
    value = {kind: list(shape), **fields}
    return {**value, "checksum": checksum(_numbers(*_spec(value, "array", with_checksum=False)))}
