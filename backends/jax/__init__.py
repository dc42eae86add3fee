"""JAX backend: the lesson's JAX code, flax.linen layers differentiated by jax.vjp/jax.grad.

Layouts: flax's Conv (on `lax.conv_general_dilated`) takes NHWC input and HWIO (h, w, in,
out) kernels, so the 4-D NCHW/OIHW forms of `spec.shapes` are transposed on the way in and
out; it takes stride with dilation. Its explicit padding is not used: XLA's convolution
skips the padded positions instead of multiplying their zeros, so an infinite kernel tap
over the padding gives a finite number where the contract (IEEE: 0 * inf) gives NaN. The
input is padded by `jnp.pad` first, as Keras' ZeroPadding2D does in the TensorFlow backend,
for "same" too (flax's "SAME" splits the padding as the spec does, and skips it likewise);
in the other padding modes by `jnp.pad`'s, or by flax's own "CIRCULAR" and "REFLECT" where
they pad as much (the kernel's span less 1, the extra one after: "same" at stride 1).
JAX arrays are immutable: the loop form writes `Y = Y.at[i, j].set(...)`, and a flax
module holds no state, its parameters are a dict passed to `apply` and updated functionally.

The compiled path is `jax.jit`: the fast form is jitted already (`corr2d_compiled` is it),
and `learn_compiled` runs every step of the learning loop in one compiled `lax.scan`. The
other paths are jitted too, a layer's forward pass, its gradient and one step of the Python
loop each one program: run op by op, each primitive was a program of its own, lowered and
compiled per shape (PORTING.md has the counts).
"""

import dataclasses
import os
from functools import partial

# Bit-identical reruns: XLA on CPU is deterministic already; this flag (read when the
# first computation starts the backend) makes XLA refuse nondeterministic GPU kernels too.
os.environ["XLA_FLAGS"] = " ".join(
    filter(None, [os.environ.get("XLA_FLAGS"), "--xla_gpu_deterministic_ops=true"]))

import flax  # noqa: E402 (after the flag)
import jax  # noqa: E402
import jax.numpy as jnp  # noqa: E402
import numpy as np  # noqa: E402
from flax import linen as nn  # noqa: E402

from convsuite.backends.common import cache_folder  # noqa: E402
from convsuite.spec.shapes import Geometry, conv_geometry  # noqa: E402
from convsuite.backends.jax.tensors import asarray, to_numpy, versions  # noqa: E402,F401 (check's sandbox uses them alone)

# JAX computes in float32 unless told otherwise: without x64, jnp.asarray silently turns a
# float64 case into float32. (With it, jnp.zeros & co. default to float64: pass dtypes.)
jax.config.update("jax_enable_x64", True)

# Compile once, not every run: XLA keeps every program it compiles in a user cache folder
# outside the checkout, so reruns and fresh clones on one machine (CI's too) load them
# instead of compiling. The minimums are lowered so that these small programs, compiled in
# well under the default second, are kept too. A cached program is the same program: the
# results stay bit-identical.
CACHE = cache_folder("jax")
jax.config.update("jax_compilation_cache_dir", CACHE)
jax.config.update("jax_persistent_cache_min_compile_time_secs", 0.0)
jax.config.update("jax_persistent_cache_min_entry_size_bytes", 0)

name = "jax"


def wait(tensor):
    """The array once computed: JAX dispatches asynchronously (for timing it)."""
    return tensor.block_until_ready()


# The padding modes as jnp.pad (NumPy's np.pad) calls them.
_PAD_MODES = {"zeros": "constant", "reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def _pad(x4, g):
    """Pad an NCHW array by ((top, bottom), (left, right)) in the geometry's padding mode."""
    return jnp.pad(x4, ((0, 0), (0, 0)) + g.padding, mode=_PAD_MODES[g.padding_mode])


def _oihw_to_hwio(K4):
    return jnp.transpose(K4, (2, 3, 1, 0))


def _corr2d_single(X, K, g):
    """The lesson's corr2d on one padded channel: each element set into a new array."""
    Y = jnp.zeros(g.out4[2:], dtype=X.dtype)
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            window = X[g.output_window(i, j)]
            Y = Y.at[i, j].set((window * K).sum())
    return Y


def corr2d_loop(X, K, padding=0, stride=1, dilation=1, groups=1, padding_mode="zeros"):
    """The lessons' loops: corr2d per channel, summed over input channels
    (corr2d_multi_in), stacked over output channels (corr2d_multi_in_out) and the batch;
    each output channel sums over its group's input channels only."""
    g = conv_geometry(X.shape, K.shape, padding, stride, dilation, groups, padding_mode)
    X4, K4 = _pad(X.reshape(g.x4), g), K.reshape(g.k4)
    Y = jnp.stack([
        jnp.stack([sum(_corr2d_single(x, k, g) for x, k in zip(X4[n, g.input_channels(o)], K4[o]))
                   for o in range(g.k4[0])])
        for n in range(g.x4[0])
    ])
    return Y.reshape(g.out_shape)


def corr2d(X, K, padding=0, stride=1, dilation=1, groups=1, padding_mode="zeros"):
    """Sum over the kernel's offsets (a, b) of the strided input window times K[:, :, a, b]."""
    return _corr2d(X, K, conv_geometry(X.shape, K.shape, padding, stride, dilation, groups, padding_mode))


# Compiled once per geometry (static: a Geometry is hashable). Run op by op, each offset's
# window is a slice with its own static bounds, which XLA would compile separately.
@partial(jax.jit, static_argnums=2)
def _corr2d(X, K, g):
    x, k = _pad(X.reshape(g.x4), g), K.reshape(g.k4)
    if g.groups == 1:
        return _corr2d_padded(x, k, g).reshape(g.out_shape)
    # group by group, each on its own input channels; their output channels side by side
    parts = [_corr2d_padded(x[:, inputs], k[outputs], g.one_group) for inputs, outputs in g.group_slices]
    return jnp.concatenate(parts, axis=1).reshape(g.out_shape)


def _corr2d_padded(x, k, g):
    """One group's (N, C_out, H', W') output from its padded NCHW input and OIHW kernel: a
    product per offset (one channel) or a matrix product over the input channels. (Tracing
    an einsum took about 1 ms: 44% of tracing a one-channel 3x3 corr2d, 11 ms.)"""
    Y = None
    for a in range(g.k4[2]):
        for b in range(g.k4[3]):
            window = x[g.tap_window(a, b)]
            if g.k4[:2] == (1, 1):
                term = window * k[0, 0, a, b]
            else:
                term = jnp.einsum("nchw,oc->nohw", window, k[:, :, a, b])
            Y = term if Y is None else Y + term
    return Y


class BuiltinConv2D(nn.Conv):
    """flax's own nn.Conv, taking and giving the case's shapes instead of NHWC; its
    parameters are {"kernel": HWIO, "bias": (C_out,)}."""

    # kw_only: nn.Conv's own fields have defaults, so a new field may not follow them.
    geometry: Geometry = dataclasses.field(default=None, kw_only=True)

    @classmethod
    def of(cls, g, use_bias=True):
        return cls(features=g.k4[0], kernel_size=g.k4[2:], strides=g.stride, padding=_flax_padding(g),
                   kernel_dilation=g.dilation, feature_group_count=g.groups, use_bias=use_bias, geometry=g)

    def __call__(self, x):
        g = self.geometry
        x4 = x.reshape(g.x4)
        if self.padding == "VALID":  # padded here, with zeros that take part in the products
            x4 = _pad(x4, g)
        y = super().__call__(jnp.transpose(x4, (0, 2, 3, 1)))  # -> NHWC
        return jnp.transpose(y, (0, 3, 1, 2)).reshape(g.out_shape)


def _flax_padding(g):
    """nn.Conv's own "CIRCULAR" or "REFLECT" where it pads as the geometry does (the dilated
    kernel's span less 1, the extra one after, whatever the stride), else "VALID"."""
    spans = [(k - 1) * d + 1 for k, d in zip(g.k4[2:], g.dilation)]
    if g.padding_mode in ("circular", "reflect") and g.padding == tuple(((s - 1) // 2, s // 2) for s in spans):
        return g.padding_mode.upper()
    return "VALID"


def corr2d_builtin(X, K, padding=0, stride=1, dilation=1, groups=1, padding_mode="zeros"):
    g = conv_geometry(X.shape, K.shape, padding, stride, dilation, groups, padding_mode)
    return _builtin(BuiltinConv2D.of(g, use_bias=False), K, X)


@partial(jax.jit, static_argnums=0)  # one program, as _apply: not a transpose, a reshape, a pad and a conv
def _builtin(layer, K, X):
    return layer.apply({"params": {"kernel": _oihw_to_hwio(K.reshape(layer.geometry.k4))}}, X)


# The fast form is already one jitted program per geometry: it is the compiled form too.
corr2d_compiled = corr2d

FORMS = {"fast": corr2d, "builtin": corr2d_builtin, "loop": corr2d_loop, "compiled": corr2d_compiled}


def conv2d(X, K, padding=0, stride=1, dilation=1, groups=1, padding_mode="zeros", form="fast"):
    if form == "loop":  # the lesson's code, op by op
        return corr2d_loop(X, jnp.flip(K, axis=(-2, -1)), padding, stride, dilation, groups, padding_mode)
    g = conv_geometry(X.shape, K.shape, padding, stride, dilation, groups, padding_mode)
    return _conv2d(FORMS[form], g, X, K)  # by function: the compiled form is the fast one


@partial(jax.jit, static_argnums=(0, 1))  # the flip in the form's program: op by op, it was one more
def _conv2d(corr2d_form, g, X, K):
    return corr2d_form(X, jnp.flip(K, axis=(-2, -1)), **g.arguments)


class Conv2D(nn.Module):
    """The lesson's Conv2D module, grown to channels, padding, stride, dilation, groups and
    padding modes."""

    kernel_size: tuple
    padding: object = 0
    stride: object = 1
    dilation: object = 1
    groups: int = 1
    padding_mode: str = "zeros"

    def setup(self):
        channels = self.kernel_size[0] if len(self.kernel_size) == 4 else 1
        # The lesson's uniform [0, 1) initial weight, as torch.rand; learn() passes its own.
        self.weight = self.param("weight", nn.initializers.uniform(1.0), self.kernel_size)
        self.bias = self.param("bias", nn.initializers.zeros, (channels,))

    def __call__(self, x):
        geometry = dict(padding=self.padding, stride=self.stride, dilation=self.dilation, groups=self.groups,
                        padding_mode=self.padding_mode)
        g = conv_geometry(x.shape, self.kernel_size, **geometry)
        return corr2d(x, self.weight, **geometry) + self.bias.reshape(g.bias_shape)


def _layer(form, x_shape, weight, bias, geometry, use_bias=True):
    """The custom Conv2D ("fast") or flax's own nn.Conv, and its parameters: the case's weight
    in its own shape (`_run` lays it out for nn.Conv inside each program) and the bias."""
    params = {"weight": weight, "bias": bias}
    if form == "builtin":
        if not use_bias:
            del params["bias"]
        return BuiltinConv2D.of(conv_geometry(x_shape, weight.shape, **geometry), use_bias), params
    return Conv2D(tuple(weight.shape), **geometry), params


def _run(layer, params, x):
    """The layer applied to x, inside a jitted program. nn.Conv takes an HWIO "kernel": the
    case's weight is reshaped and transposed here, in the program (so its gradient comes back
    in the case's shape), not op by op outside, one more program per shape each way."""
    if isinstance(layer, BuiltinConv2D):
        kernel = _oihw_to_hwio(params["weight"].reshape(layer.geometry.k4))
        params = {"kernel": kernel, "bias": params["bias"]} if "bias" in params else {"kernel": kernel}
    return layer.apply({"params": params}, x)


def layer_forward(X, weight, bias, padding=0, stride=1, dilation=1, groups=1, padding_mode="zeros", form="fast"):
    geometry = dict(padding=padding, stride=stride, dilation=dilation, groups=groups,
                    padding_mode=padding_mode)
    layer, params = _layer(form, X.shape, weight, bias, geometry)
    return _apply(layer, params, X)


def grad(X, K, bias, G, padding=0, stride=1, dilation=1, groups=1, padding_mode="zeros", form="fast"):
    geometry = dict(padding=padding, stride=stride, dilation=dilation, groups=groups,
                    padding_mode=padding_mode)
    layer, params = _layer(form, X.shape, K, bias, geometry)
    dX, dparams = _pullback(layer, X, params, G)
    return dX, dparams["weight"], dparams["bias"]


# One program per layer and shapes. Applied op by op, a case's forward pass and gradient were
# dozens of primitives, each lowered and compiled on its own: 700 of the fast path's 931
# programs over the lesson-sized cases. (A flax module is a frozen dataclass: static.)
@partial(jax.jit, static_argnums=0)
def _apply(layer, params, X):
    return _run(layer, params, X)


@partial(jax.jit, static_argnums=0)
def _pullback(layer, X, params, G):
    # The vector-Jacobian product with G is the gradient of sum(G * layer(X)).
    _, pullback = jax.vjp(lambda x, p: _run(layer, p, x), X, params)
    return pullback(G)


def _step(net, X, Y, lr, learned):
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


def _learning(X, K_init, form, bias, learn_bias, geometry):
    # the lesson's use_bias=False when no bias takes part (read on the host: no program)
    use_bias = learn_bias or bool(np.any(to_numpy(bias)))
    net, params = _layer(form, X.shape, K_init, bias, geometry, use_bias)
    learned = frozenset({"weight"} | ({"bias"} if learn_bias else set()))
    return net, params, learned


def learn(X, Y, K_init, lr, steps, form, bias, learn_bias, padding=0, stride=1, dilation=1, groups=1,
          padding_mode="zeros"):
    geometry = dict(padding=padding, stride=stride, dilation=dilation, groups=groups,
                    padding_mode=padding_mode)
    net, params, learned = _learning(X, K_init, form, bias, learn_bias, geometry)
    losses = []
    for _ in range(steps):  # the lesson's Python loop, each step one jitted program
        params, l = _jitted_step(net, learned, X, Y, lr, params)
        losses.append(float(l))
    return losses, params["weight"], params.get("bias", bias)


def learn_compiled(X, Y, K_init, lr, steps, form, bias, learn_bias, padding=0, stride=1, dilation=1, groups=1,
                   padding_mode="zeros"):
    """The same steps, all of them in one jitted `lax.scan`: compiled once per layer, shapes,
    geometry and step count, then one call runs the loop."""
    geometry = dict(padding=padding, stride=stride, dilation=dilation, groups=groups,
                    padding_mode=padding_mode)
    net, params, learned = _learning(X, K_init, form, bias, learn_bias, geometry)
    params, losses = _scan(net, learned, steps, X, Y, lr, params)
    # the losses as one host array: iterating a JAX array unstacks it, one more program
    return [float(l) for l in to_numpy(losses)], params["weight"], params.get("bias", bias)


@partial(jax.jit, static_argnums=(0, 1))
def _jitted_step(net, learned, X, Y, lr, params):
    return _step(net, X, Y, lr, learned)(params)


# A flax module is a frozen dataclass, hashable by its fields: the layer is static.
@partial(jax.jit, static_argnums=(0, 1, 2))
def _scan(net, learned, steps, X, Y, lr, params):
    return jax.lax.scan(lambda p, _: _step(net, X, Y, lr, learned)(p), params, length=steps)


def bare_loop(X, Y, K, lr, steps):
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
