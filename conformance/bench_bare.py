"""The lesson's learning loop written bare in each framework: its own conv layer, no bias,
the loop as the lesson writes it. The benchmark's yardstick for the backends' eager loops:
what a framework costs before any suite code runs."""

def bare_loop(framework, X, Y, K, lr, steps):
    """The lesson's loop in the framework itself (its conv layer, no bias), as a call."""
    if framework == "torch":
        import torch
        from torch import nn

        X, Y = torch.from_numpy(X[None, None]), torch.from_numpy(Y[None, None])

        def run():
            conv2d = nn.Conv2d(1, 1, kernel_size=K.shape, bias=False)
            conv2d.weight.data[:] = torch.from_numpy(K)
            losses = []
            for _ in range(steps):
                Y_hat = conv2d(X)
                l = (Y_hat - Y) ** 2
                conv2d.zero_grad()
                l.sum().backward()
                losses.append(l.sum().item())
                conv2d.weight.data[:] -= lr * conv2d.weight.grad
            return losses
    elif framework == "tensorflow":
        import tensorflow as tf

        X, Y = tf.constant(X[None, :, :, None]), tf.constant(Y[None, :, :, None])

        def run():
            conv2d = tf.keras.layers.Conv2D(1, K.shape, use_bias=False)
            conv2d.build(X.shape)
            conv2d.kernel.assign(K[:, :, None, None])
            losses = []
            for _ in range(steps):
                with tf.GradientTape(watch_accessed_variables=False) as g:
                    g.watch(conv2d.kernel.value)
                    Y_hat = conv2d(X)
                    l = (abs(Y_hat - Y)) ** 2
                update = tf.multiply(lr, g.gradient(l, conv2d.kernel.value))
                losses.append(float(tf.reduce_sum(l)))
                conv2d.kernel.assign_sub(update)
            return losses
    elif framework == "mxnet":
        from mxnet import autograd, nd
        from mxnet.gluon import nn

        X, Y = nd.array(X[None, None]), nd.array(Y[None, None])

        def run():
            conv2d = nn.Conv2D(1, kernel_size=K.shape, use_bias=False, in_channels=1)
            conv2d.initialize()
            conv2d.weight.set_data(nd.array(K[None, None]))
            losses = []
            for _ in range(steps):
                with autograd.record():
                    Y_hat = conv2d(X)
                    l = (Y_hat - Y) ** 2
                l.backward()
                losses.append(l.sum())
                conv2d.weight.data()[:] -= lr * conv2d.weight.grad()
            return [l.asscalar().item() for l in losses]
    elif framework == "jax":
        import jax
        from flax import linen as nn

        X, Y = jax.numpy.asarray(X[None, :, :, None]), jax.numpy.asarray(Y[None, :, :, None])

        def run():
            conv2d = nn.Conv(1, kernel_size=K.shape, use_bias=False, padding="VALID")
            params = {"params": {"kernel": jax.numpy.asarray(K[:, :, None, None])}}

            def loss(params, X, Y):
                Y_hat = conv2d.apply(params, X)
                return ((Y_hat - Y) ** 2).sum()

            losses = []
            for _ in range(steps):
                l, grads = jax.value_and_grad(loss)(params, X, Y)
                losses.append(float(l))
                params = jax.tree_util.tree_map(lambda p, g: p - lr * g, params, grads)
            return losses
    else:  # NumPy has no layer and no autograd: the windows, their product and its gradient
        import numpy as np
        from numpy.lib.stride_tricks import sliding_window_view

        def run():
            k, losses = K.copy(), []
            for _ in range(steps):  # each step reads X again, as a layer's forward pass does
                windows = sliding_window_view(X, K.shape)
                residual = np.einsum("ijab,ab->ij", windows, k) - Y
                losses.append(float(np.sum(residual**2)))
                k -= lr * np.einsum("ijab,ij->ab", windows, 2 * residual)
            return losses
    return run
