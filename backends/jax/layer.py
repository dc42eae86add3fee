"""The lesson's Conv2D as a flax module, its forward pass and gradients, and the learning
loop, on the custom module ("fast") or flax's own nn.Conv ("builtin"): each one jitted
program per layer and shapes."""

from functools import partial

import jax
import jax.numpy as jnp
import numpy as np
from flax import linen as nn

from convsuite.spec.shapes import DEFAULT, Geometry, conv_geometry

from .builtin import BuiltinConv2D, _oihw_to_hwio
from .fast import corr2d
from .tensors import to_numpy


class Conv2D(nn.Module):
    """The lesson's Conv2D module, grown to channels and a Geometry (padding, stride,
    dilation, groups and padding modes)."""

    kernel_size: tuple
    geometry: Geometry = DEFAULT

    def setup(self):
        channels = self.kernel_size[0] if len(self.kernel_size) == 4 else 1
        # The lesson's uniform [0, 1) initial weight, as torch.rand; learn() passes its own.
        self.weight = self.param("weight", nn.initializers.uniform(1.0), self.kernel_size)
        self.bias = self.param("bias", nn.initializers.zeros, (channels,))

    def __call__(self, x):
        g = conv_geometry(x.shape, self.kernel_size, self.geometry)
        return corr2d(x, self.weight, self.geometry) + self.bias.reshape(g.bias_shape)


def _layer(path, x_shape, weight, *, bias, geometry, use_bias=True):
    """The custom Conv2D ("fast") or flax's own nn.Conv ("builtin"), and its parameters: the
    case's weight in its own shape (`_run` lays it out for nn.Conv inside each program) and
    the bias."""
    params = {"weight": weight, "bias": bias}
    if path == "builtin":
        if not use_bias:
            del params["bias"]
        return BuiltinConv2D.of(conv_geometry(x_shape, weight.shape, geometry), use_bias), params
    return Conv2D(tuple(weight.shape), geometry), params


def _run(layer, params, x):
    """The layer applied to x, inside a jitted program. nn.Conv takes an HWIO "kernel": the
    case's weight is reshaped and transposed here, in the program (so its gradient comes back
    in the case's shape), not op by op outside, one more program per shape each way."""
    if isinstance(layer, BuiltinConv2D):
        kernel = _oihw_to_hwio(params["weight"].reshape(layer.geometry.k4))
        params = {"kernel": kernel, "bias": params["bias"]} if "bias" in params else {"kernel": kernel}
    return layer.apply({"params": params}, x)


def layer_forward(X, weight, bias, *, geometry=DEFAULT, path="fast"):
    layer, params = _layer(path, X.shape, weight, bias=bias, geometry=geometry)
    return _apply(layer, params, X)


def grad(X, K, bias, *, G, geometry=DEFAULT, path="fast"):
    layer, params = _layer(path, X.shape, K, bias=bias, geometry=geometry)
    dX, dparams = _pullback(X, params, G=G, layer=layer)
    return dX, dparams["weight"], dparams["bias"]


# One program per layer and shapes. Applied op by op, a case's forward pass and gradient were
# dozens of primitives, each lowered and compiled on its own: 700 of the fast path's 931
# programs over the lesson-sized cases. (A flax module is a frozen dataclass: static.)
@partial(jax.jit, static_argnums=0)
def _apply(layer, params, X):
    return _run(layer, params, X)


@partial(jax.jit, static_argnames=("layer",))
def _pullback(X, params, *, G, layer):
    # The vector-Jacobian product with G is the gradient of sum(G * layer(X)).
    _, pullback = jax.vjp(lambda x, p: _run(layer, p, x), X, params)
    return pullback(G)


def _step(net, X, Y, *, lr, learned):
    """One step of the lesson's loop, as a pure function of the parameters: the loss at
    them, and the parameters with the learned entries stepped downhill."""

    def loss(params):
        Y_hat = _run(net, params, X)
        return ((Y_hat - Y) ** 2).sum()

    def step(params):
        l, grads = jax.value_and_grad(loss)(params)
        # No in-place update: a new parameter dict.
        return {key: p - lr * grads[key] if key in learned else p for key, p in params.items()}, l

    return step


def _learning(X, K_init, *, path, bias, learn_bias, geometry):
    """The layer, its parameters and the names of those it learns."""
    # the lesson's use_bias=False when no bias takes part (read on the host: no program)
    use_bias = learn_bias or bool(np.any(to_numpy(bias)))
    net, params = _layer(path, X.shape, K_init, bias=bias, geometry=geometry, use_bias=use_bias)
    learned = frozenset({"weight"} | ({"bias"} if learn_bias else set()))
    return net, params, learned


def learn(X, Y, K_init, *, lr, steps, path, bias, learn_bias, geometry=DEFAULT):
    net, params, learned = _learning(X, K_init, path=path, bias=bias, learn_bias=learn_bias, geometry=geometry)
    losses = []
    for _ in range(steps):  # the lesson's Python loop, each step one jitted program
        params, l = _jitted_step(X, Y, params, lr=lr, net=net, learned=learned)
        losses.append(float(l))
    return losses, params["weight"], params.get("bias", bias)


@partial(jax.jit, static_argnames=("net", "learned"))
def _jitted_step(X, Y, params, *, lr, net, learned):
    return _step(net, X, Y, lr=lr, learned=learned)(params)


def bare_loop(X, Y, K, *, lr, steps):
    """The lesson's loop bare, as a call: flax's Conv without bias (the bench's yardstick)."""
    X, Y = jnp.asarray(X[None, :, :, None]), jnp.asarray(Y[None, :, :, None])

    def run():
        conv2d = nn.Conv(1, kernel_size=K.shape, use_bias=False, padding="VALID")
        params = {"params": {"kernel": jnp.asarray(K[:, :, None, None])}}

        def loss(params, X, Y):
            Y_hat = conv2d.apply(params, X)
            return ((Y_hat - Y) ** 2).sum()

        losses = []
        for _ in range(steps):
            l, grads = jax.value_and_grad(loss)(params, X, Y)
            losses.append(float(l))
            params = jax.tree_util.tree_map(lambda p, g: p - lr * g, params, grads)
        return losses
    return run
