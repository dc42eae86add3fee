"""What a tab's child sends is checked before tabs uses any of it (check's `messages`): a
value message that lies about its array, or is no value at all, is refused as a corrupt
channel. And the child's own description of values (child/values.py), on NumPy here."""

import base64

import numpy as np
import pytest

from convsuite.conformance.check.child import values
from convsuite.conformance.check.sandbox.messages import Checker, Corrupt

NUMPY = type("NumpyAdapter", (), {"to_numpy": staticmethod(np.asarray)})


def _checker():
    checker = Checker()
    checker.check({"t": "cells", "tab": "numpy", "cells": [{"label": "c.md", "filename": "c.md#line3",
                                                            "first_line": 3}]})
    return checker


def _message(value, **extra):
    return {"t": "value", "index": 0, "value": value, "printed": "", **extra}


def test_an_honest_value_passes():
    for shown in (np.arange(6, dtype=np.float32).reshape(2, 3), np.float64(2.5), (1, 2), "text", None,
                  (np.ones(2), (3, 4))):
        _checker().check(_message(values.describe(shown, NUMPY)))


def test_a_zero_dimensional_value_keeps_its_shape():
    assert values.describe(np.float32(24), NUMPY)["array"]["shape"] == []
    assert values.describe((1, 1, 6, 8), NUMPY) == {"type": "builtins.tuple", "kind": "shape", "dims": [1, 1, 6, 8]}


@pytest.mark.parametrize("planted", [
    lambda v: {**v, "array": {**v["array"], "shape": [3, 3]}},  # more elements than its bytes hold
    lambda v: {**v, "array": {**v["array"], "dtype": "|O"}},  # objects, not numbers
    lambda v: {**v, "array": {**v["array"], "bytes": "not base64!"}},
    lambda v: {**v, "kind": "pickle"},
    lambda v: {**v, "extra": 1},
    lambda v: {"kind": "tuple", "type": "t", "items": [v] * 17},  # longer than any value the child sends
])
def test_a_value_that_lies_is_a_corrupt_channel(planted):
    honest = values.describe(np.arange(6, dtype=np.float32).reshape(2, 3), NUMPY)
    with pytest.raises(Corrupt):
        _checker().check(_message(planted(honest)))


def test_a_value_for_a_cell_that_does_not_exist_is_refused():
    shown = values.describe(np.ones(1), NUMPY)
    with pytest.raises(Corrupt):
        _checker().check({**_message(shown), "index": 1})
    assert base64.b64decode(shown["array"]["bytes"]) == np.ones(1).tobytes()
