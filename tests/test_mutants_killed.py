"""Tests that kill mutants the main job's cases cannot reach (nox -s mutants; each names its
mutants). The runner passes every argument, so only a direct call sees a default."""

import numpy as np
import pytest

from convsuite.spec import reference, shapes
from planting import defining_module

# The lesson's defaults, as the spec states them (spec/contract.py's signatures), spelled out
# rather than taken from Geometry's own defaults (which are mutated too).
GEOMETRY = dict(geometry=shapes.Geometry(padding=0, stride=1, dilation=1, groups=1, padding_mode="zeros"))
RNG = np.random.default_rng(25)
X, K, BIAS = RNG.uniform(size=(5, 6)), RNG.uniform(size=(2, 3)), np.array([0.5])
Y, G = RNG.uniform(size=(4, 4)), RNG.uniform(size=(4, 4))


def _calls(module):
    """(name, call with the defaults, call with the spec's defaults spelled out) of each
    function a case reaches, on arrays of `module`'s own kind."""
    x, k, b, y, g = (module.asarray(a) for a in (X, K, BIAS, Y, G))
    learning = dict(lr=0.01, steps=3, path="fast", bias=b, learn_bias=True)
    calls = [("corr2d", lambda **geometry: module.corr2d(x, k, **geometry)),
             ("conv2d", lambda **geometry: module.conv2d(x, k, **geometry)),
             ("layer_forward", lambda **geometry: module.layer_forward(x, k, b, **geometry)),
             ("grad", lambda **geometry: module.grad(x, k, b, G=g, **geometry)),
             ("learn", lambda **geometry: module.learn(x, y, k, **learning, **geometry))]
    # a backend's compiled path, where it has one
    if hasattr(module, "corr2d_compiled"):
        calls.append(("corr2d_compiled", lambda **geometry: module.corr2d_compiled(x, k, **geometry)))
    if hasattr(module, "learn_compiled"):
        calls.append(("learn_compiled",
                      lambda **geometry: module.learn_compiled(x, y, k, **learning, **geometry)))
    return calls


def _numpy(module, value):
    if isinstance(value, (tuple, list)):
        return [_numpy(module, v) for v in value]
    return np.asarray(module.to_numpy(value) if not isinstance(value, float) else value, dtype=np.float64)


@pytest.mark.parametrize("which", ["reference", "backend"])
def test_every_default_is_the_lessons(backend, which):
    """Kills reference.py's and the backends' mutated defaults (padding=1, stride=2,
    dilation=0, groups=0, ...): each changes the output's shape or refuses the call."""
    module = reference if which == "reference" else backend
    for name, call in _calls(module):
        bare, spelled = _numpy(module, call()), _numpy(module, call(**GEOMETRY))
        for got, expected in zip(np.atleast_1d(np.array(bare, dtype=object)), np.atleast_1d(np.array(spelled, dtype=object))):
            np.testing.assert_allclose(np.asarray(got, dtype=np.float64), np.asarray(expected, dtype=np.float64),
                                       rtol=1e-6, err_msg=f"{module.name}.{name} with its defaults")


def test_each_numpy_path_builds_its_own_layer():
    """Kills backends/numpy's _layer's `path == "builtin"` made `!=`: the paths would swap
    layers, both right, and the main job's built-in column would check the fast layer (and
    the fast column the built-in one), so neither column would say which code it ran."""
    from convsuite import backends

    numpy = backends.load("numpy")
    layer = defining_module(numpy, "_layer")
    weight, bias = np.ones((2, 2)), np.zeros(1)
    assert type(layer._layer(weight, bias, path="builtin", geometry=shapes.DEFAULT)) is numpy.BuiltinConv2D
    assert type(layer._layer(weight, bias, path="fast", geometry=shapes.DEFAULT)) is numpy.Conv2D


def test_each_torch_path_builds_its_own_layer(backend):
    """Kills backends/torch's _layer's `path == "builtin"` made `!=`, as the NumPy test above."""
    if backend.name != "torch":
        pytest.skip("backends/torch's _layer: run with --backend=torch")
    layer = defining_module(backend, "_layer")
    weight, bias = backend.asarray(np.ones((2, 2))), backend.asarray(np.zeros(1))
    assert type(layer._layer((3, 3), weight, bias, path="builtin", geometry=shapes.DEFAULT)) is backend.BuiltinConv2D
    assert type(layer._layer((3, 3), weight, bias, path="fast", geometry=shapes.DEFAULT)) is backend.Conv2D
