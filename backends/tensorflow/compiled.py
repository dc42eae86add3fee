"""The compiled path: the fast corr2d and the whole learning loop, compiled by XLA
(`tf.function(jit_compile=True)`) once per shape, dtype and geometry."""

import tensorflow as tf

from convsuite.spec.shapes import DEFAULT, conv_geometry

from .fast import corr2d
from .layer import _layer, _uses_bias

# Compiled functions by what they compute and the shapes, dtype and geometry they take:
# XLA compiles once per key, and later calls reuse the program. Each is kept as the concrete
# function of its one signature, which skips tf.function's signature matching on every call.
_COMPILED = {}


def _compiled(key, build, *args):
    if key not in _COMPILED:
        _COMPILED[key] = build().get_concrete_function(*args)
    return _COMPILED[key](*args)


def corr2d_compiled(X, K, geometry=DEFAULT):
    """The fast path compiled by XLA (`tf.function(jit_compile=True)`): the offsets' products
    and sums fuse into one loop over the output, with no window ever stored."""
    g = conv_geometry(X.shape, K.shape, geometry)  # bad input raises here
    key = ("corr2d", tuple(X.shape), tuple(K.shape), X.dtype.name, g)
    return _compiled(key, lambda: tf.function(lambda X, K: corr2d(X, K, g.settings),
                                              jit_compile=True, autograph=False), X, K)


def learn_compiled(X, Y, K_init, *, lr, steps, path, bias, learn_bias, geometry=DEFAULT):
    """The same loop with its step compiled by XLA: the layer is built once per shape and
    geometry, and one compiled call sets the initial weights and runs every step (a while
    loop around the step), so Python and TensorFlow's per-call dispatch run once, not per step."""
    use_bias = _uses_bias(bias, learn_bias)
    g = conv_geometry(X.shape, K_init.shape, geometry)
    key = ("learn", path, tuple(X.shape), tuple(K_init.shape), X.dtype.name, g, use_bias, learn_bias, lr, steps)
    net = lambda: _layer(path, X.shape, K_init, bias=bias, geometry=geometry, use_bias=use_bias)
    train = lambda: _train_function(net(), path=path, learn_bias=learn_bias, lr=lr, steps=steps)
    losses, weight, final_bias = _compiled(key, train, X, Y, K_init, bias)
    return list(losses.numpy()), weight, final_bias if use_bias else bias


def _train_function(net, *, path, learn_bias, lr, steps):
    learned = [net.weight] + ([net.bias] if learn_bias else [])
    has_bias = path == "fast" or net.use_bias  # the custom Conv2D always holds a bias
    # Keras' grouped Conv2D is an XLA function of its own, and a dilated one computes its
    # space-to-batch shapes inside it: in the gradient within a while loop they are no longer
    # compile-time constants (InvalidArgumentError, "SpaceToBatchND must be a compile-time
    # constant"). Those steps are unrolled in Python instead (the fuzzer found it).
    unrolled = path == "builtin" and net.geometry.groups > 1 and max(net.geometry.dilation) > 1

    @tf.function(jit_compile=True)
    def train(X, Y, K_init, bias):
        if path == "builtin":  # OIHW -> HWIO
            net.kernel.assign(tf.transpose(tf.reshape(K_init, net.geometry.k4), (2, 3, 1, 0)))
        else:
            net.weight.assign(K_init)
        if has_bias:
            net.bias.assign(bias)
        losses = tf.TensorArray(X.dtype, size=steps)
        for step in range(steps) if unrolled else tf.range(steps):
            with tf.GradientTape(watch_accessed_variables=False) as tape:
                for variable in learned:
                    tape.watch(variable.value)
                l = (net(X) - Y) ** 2
            grads = tape.gradient(l, [variable.value for variable in learned])
            losses = losses.write(step, tf.reduce_sum(l))
            for variable, gradient in zip(learned, grads):
                variable.assign_sub(lr * gradient)
        weight = net.weight.value
        if path == "builtin":
            weight = tf.transpose(weight, (3, 2, 0, 1))  # HWIO -> OIHW
        return losses.stack(), tf.reshape(weight, K_init.shape), net.bias.value if has_bias else bias

    return train
