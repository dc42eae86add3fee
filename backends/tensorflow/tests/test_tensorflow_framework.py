"""TensorFlow and Keras: the facts this backend's choices (its porting idioms) rest on
(tests/test_framework_geometry.py)."""

import numpy as np
import pytest  # noqa: F401 (the facts that expect a refusal)

from even_kernel import EVEN_K, EVEN_SAME, EVEN_X


def test_tensorflow_refuses_grouped_gradients_on_the_cpu_in_float64():
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


def test_tensorflow_keras_groups_match_a_split():
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


def test_tensorflow_grouped_dilated_gradient_fails_in_an_xla_while_loop():
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


def test_tensorflow_symmetric_is_not_replicate_and_reflect_is_less_than_the_input():
    import tensorflow as tf

    row = tf.constant([[1.0, 2.0, 3.0, 4.0]])
    assert tf.pad(row, [[0, 0], [2, 1]], mode="SYMMETRIC").numpy().tolist() == [[2, 1, 1, 2, 3, 4, 4]]
    with pytest.raises(tf.errors.InvalidArgumentError):
        tf.pad(row, [[0, 0], [4, 0]], mode="REFLECT")


def test_keras_same_pads_after():
    import keras

    conv = keras.layers.Conv2D(1, 2, padding="same", use_bias=False, dtype="float64")
    conv.build((1, 2, 2, 1))
    conv.kernel.assign(EVEN_K[:, :, None, None])
    np.testing.assert_array_equal(np.asarray(conv(EVEN_X[None, :, :, None]))[0, :, :, 0], EVEN_SAME)
