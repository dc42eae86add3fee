"""The compiled path, `jax.jit`: the fast corr2d is one jitted program per geometry already,
and the whole learning loop runs as one jitted `lax.scan`."""

from functools import partial

import jax

from convsuite.spec.shapes import DEFAULT

from .fast import corr2d
from .layer import _learning, _step
from .tensors import to_numpy

# The fast path is already one jitted program per geometry: it is the compiled path too.
corr2d_compiled = corr2d


def learn_compiled(X, Y, K_init, *, lr, steps, path, bias, learn_bias, geometry=DEFAULT):
    """The same steps, all of them in one jitted `lax.scan`: compiled once per layer, shapes,
    geometry and step count, then one call runs the loop."""
    net, params, learned = _learning(X, K_init, path=path, bias=bias, learn_bias=learn_bias, geometry=geometry)
    params, losses = _scan(X, Y, params, lr=lr, net=net, learned=learned, steps=steps)
    # the losses as one host array: iterating a JAX array unstacks it, one more program
    return [float(l) for l in to_numpy(losses)], params["weight"], params.get("bias", bias)


# A flax module is a frozen dataclass, hashable by its fields: the layer is static.
@partial(jax.jit, static_argnames=("net", "learned", "steps"))
def _scan(X, Y, params, *, lr, net, learned, steps):
    return jax.lax.scan(lambda p, _: _step(net, X, Y, lr=lr, learned=learned)(p), params, length=steps)
