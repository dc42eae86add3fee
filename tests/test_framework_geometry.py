"""The frameworks' own groups, "same" and padding modes behave as the porting guide (each
backend's DECLARATION idioms) says: the facts its choices rest on, pinned down so that the
day a framework changes, a test says which choice to revisit. Each backend's session checks
its own framework's facts."""

import numpy as np
import pytest

from convsuite.spec import shapes

EVEN_X = np.array([[1.0, 2.0], [3.0, 4.0]])
EVEN_K = np.array([[1.0, 10.0], [100.0, 1000.0]])
# "same" for a 2x2 kernel pads (0, 1) on both axes: the extra row and column after.
EVEN_SAME = np.array([[4321.0, 402.0], [43.0, 4.0]])


def numpy_symmetric_is_not_reflect():
    """np.pad's "symmetric" repeats the edge before mirroring (as TensorFlow's SYMMETRIC):
    "reflect" is the spec's mode, "edge" its replicate, "wrap" its circular."""
    row = np.array([1, 2, 3, 4])
    assert np.pad(row, 2, mode="reflect").tolist() == [3, 2, 1, 2, 3, 4, 3, 2]
    assert np.pad(row, 2, mode="symmetric").tolist() == [2, 1, 1, 2, 3, 4, 4, 3]


def torch_same_refuses_stride():
    from torch import nn

    with pytest.raises(ValueError, match="strided"):
        nn.Conv2d(1, 1, 3, stride=2, padding="same")


def torch_reflects_less_than_the_input():
    import torch
    import torch.nn.functional as F

    row = torch.arange(1.0, 4.0).reshape(1, 1, 1, 3)
    with pytest.raises(RuntimeError, match="Padding size should be less than"):
        F.pad(row, (3, 0, 0, 0), mode="reflect")
    assert F.pad(row, (3, 0, 0, 0), mode="circular").flatten().tolist() == [1, 2, 3, 1, 2, 3]


def torch_same_pads_after():
    import torch
    from torch import nn

    conv = nn.Conv2d(1, 1, 2, padding="same", bias=False).double()
    with torch.no_grad():
        conv.weight.copy_(torch.from_numpy(EVEN_K[None, None]))
    np.testing.assert_array_equal(conv(torch.from_numpy(EVEN_X[None, None])).detach().numpy()[0, 0], EVEN_SAME)


def tensorflow_refuses_grouped_gradients_on_the_cpu_in_float64():
    import tensorflow as tf

    # 2 groups of 2 channels; float32 runs through oneDNN, which has the gradient
    for dtype, refused in ((tf.float32, False), (tf.float64, True)):
        x, k = tf.ones((1, 4, 4, 4), dtype), tf.ones((2, 2, 2, 4), dtype)
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = tf.nn.conv2d(x, k, 1, "VALID")
        if refused:
            with pytest.raises(tf.errors.InvalidArgumentError, match="grouped convolutions are not supported on CPU"):
                tape.gradient(y, x)
        else:
            assert tape.gradient(y, x).shape == x.shape


def tensorflow_grouped_dilated_gradient_fails_in_an_xla_while_loop():
    """Keras' grouped Conv2D is an XLA function of its own; dilated, its gradient inside a
    compiled while loop is refused (the backend unrolls those steps), outside one it is not."""
    import keras
    import tensorflow as tf

    x = tf.ones((1, 2, 1, 1))  # NCHW, as the backend takes it (an input that is a constant folds away)
    layer = keras.layers.Conv2D(2, 1, dilation_rate=(1, 2), groups=2, use_bias=False)
    layer.build((1, 1, 1, 2))

    def step():
        with tf.GradientTape(watch_accessed_variables=False) as tape:
            tape.watch(layer.kernel.value)
            y = tf.reduce_sum(layer(tf.transpose(x, (0, 2, 3, 1))) ** 2)
        layer.kernel.assign_sub(0.01 * tape.gradient(y, layer.kernel.value))

    @tf.function(jit_compile=True)
    def unrolled():
        for _ in range(2):
            step()
        return layer.kernel.value

    @tf.function(jit_compile=True)
    def while_loop():
        for _ in tf.range(2):
            step()
        return layer.kernel.value

    with pytest.raises(tf.errors.InvalidArgumentError, match="SpaceToBatchND must be a compile-time constant"):
        while_loop()
    unrolled()


def tensorflow_keras_groups_match_a_split():
    """Keras' grouped Conv2D (compiled with XLA on the CPU) gives what two convolutions of
    the halves give: the backend can use the framework's own groups."""
    import keras
    import tensorflow as tf

    x = tf.reshape(tf.range(64, dtype=tf.float64), (1, 4, 4, 4))
    layer = keras.layers.Conv2D(2, 2, groups=2, use_bias=False, dtype="float64")
    y = layer(x).numpy()
    k = layer.kernel.numpy()  # (2, 2, 2, 2): per group 2 input channels, 1 output
    halves = [tf.nn.conv2d(x[..., 2 * i : 2 * i + 2], k[..., i : i + 1], 1, "VALID").numpy() for i in range(2)]
    np.testing.assert_allclose(y, np.concatenate(halves, axis=-1), rtol=1e-12)


def tensorflow_symmetric_is_not_replicate_and_reflect_is_less_than_the_input():
    import tensorflow as tf

    row = tf.constant([[1.0, 2.0, 3.0, 4.0]])
    assert tf.pad(row, [[0, 0], [2, 1]], mode="SYMMETRIC").numpy().tolist() == [[2, 1, 1, 2, 3, 4, 4]]
    with pytest.raises(tf.errors.InvalidArgumentError):
        tf.pad(row, [[0, 0], [4, 0]], mode="REFLECT")


def keras_same_pads_after():
    import keras

    conv = keras.layers.Conv2D(1, 2, padding="same", use_bias=False, dtype="float64")
    conv.build((1, 2, 2, 1))
    conv.kernel.assign(EVEN_K[:, :, None, None])
    np.testing.assert_array_equal(np.asarray(conv(EVEN_X[None, :, :, None]))[0, :, :, 0], EVEN_SAME)


def mxnet_pad_has_no_wrap_and_reflects_less_than_the_input():
    from mxnet import base, nd

    x = nd.arange(1, 4).reshape((1, 1, 1, 3))
    with pytest.raises(base.MXNetError):
        x.pad(mode="wrap", pad_width=(0, 0, 0, 0, 0, 0, 1, 1)).wait_to_read()
    with pytest.raises(base.MXNetError, match="smaller than the input"):
        x.pad(mode="reflect", pad_width=(0, 0, 0, 0, 0, 0, 3, 0)).wait_to_read()
    assert x.pad(mode="edge", pad_width=(0, 0, 0, 0, 0, 0, 2, 1)).asnumpy().ravel().tolist() == [1, 1, 1, 2, 3, 3]


def flax_same_pads_after_and_skips_the_padding():
    import jax.numpy as jnp
    from flax import linen as nn

    conv = nn.Conv(1, (2, 2), padding="SAME", use_bias=False)
    y = conv.apply({"params": {"kernel": jnp.asarray(EVEN_K[:, :, None, None])}}, jnp.asarray(EVEN_X[None, :, :, None]))
    np.testing.assert_array_equal(np.asarray(y)[0, :, :, 0], EVEN_SAME)
    # special-inf-kernel-same: the zero padded after the last column times the infinite tap
    x = jnp.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]], jnp.float32)[None, :, :, None]
    k = jnp.array([[1.0, np.inf]], jnp.float32)[:, :, None, None]
    y = nn.Conv(1, (1, 2), padding="SAME", use_bias=False).apply({"params": {"kernel": k}}, x)
    last = np.asarray(y)[0, :, 2, 0]
    assert np.isfinite(last).all()  # IEEE, and the spec, give NaN


def paddle_same_drops_the_dilation():
    import paddle
    from paddle import nn

    x = paddle.to_tensor(np.random.default_rng(0).standard_normal((1, 1, 7, 7)))
    w = np.random.default_rng(1).standard_normal((1, 1, 3, 3))
    outputs = []
    for dilation in (1, 2):
        conv = nn.Conv2D(1, 1, 3, padding="SAME", dilation=dilation, bias_attr=False)
        conv.to(dtype="float64")
        conv.weight.set_value(w)
        outputs.append(conv(x).numpy())
    np.testing.assert_array_equal(outputs[0], outputs[1])
    from convsuite.spec import reference

    assert not np.allclose(outputs[1], reference.corr2d(x.numpy(), w, "same", 1, 2))


def paddle_padding_modes_take_one_padding():
    from paddle import nn

    with pytest.raises(TypeError, match="type of padding must be int"):
        nn.Conv2D(1, 1, 3, padding=[1, 0, 2, 1], padding_mode="reflect")


def paddle_same_pads_after():
    import paddle
    from paddle import nn

    conv = nn.Conv2D(1, 1, 2, padding="SAME", bias_attr=False)
    conv.to(dtype="float64")
    conv.weight.set_value(EVEN_K[None, None])
    np.testing.assert_array_equal(conv(paddle.to_tensor(EVEN_X[None, None])).numpy()[0, 0], EVEN_SAME)


FACTS = {
    "numpy": [numpy_symmetric_is_not_reflect],
    "torch": [torch_same_refuses_stride, torch_reflects_less_than_the_input, torch_same_pads_after],
    "tensorflow": [tensorflow_refuses_grouped_gradients_on_the_cpu_in_float64, tensorflow_keras_groups_match_a_split,
                   tensorflow_grouped_dilated_gradient_fails_in_an_xla_while_loop,
                   tensorflow_symmetric_is_not_replicate_and_reflect_is_less_than_the_input, keras_same_pads_after],
    "mxnet": [mxnet_pad_has_no_wrap_and_reflects_less_than_the_input],
    "jax": [flax_same_pads_after_and_skips_the_padding],
    "paddle": [paddle_same_drops_the_dilation, paddle_padding_modes_take_one_padding, paddle_same_pads_after],
}


def test_every_backend_has_facts_pinned():
    from convsuite import backends

    assert set(FACTS) == set(backends.names()) and all(FACTS.values())


def test_the_frameworks_are_measured_against_the_spec_s_same():
    from convsuite.spec import reference

    assert shapes.conv_geometry(EVEN_X.shape, EVEN_K.shape, "same").padding == ((0, 1), (0, 1))
    np.testing.assert_array_equal(reference.corr2d(EVEN_X, EVEN_K, "same"), EVEN_SAME)


def test_the_frameworks_own_geometry_behaves_as_the_porting_guide_says(backend):
    for fact in FACTS[backend.name]:
        fact()
