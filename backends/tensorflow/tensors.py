"""TensorFlow 2 / Keras 3: the backend's adapter (tensors in and out), which check's sandboxed child
imports on its own (see `backends.contract`)."""

import numpy as np
import tensorflow as tf
import keras

tf.config.experimental.enable_op_determinism()  # as the backend: bit-identical reruns


def versions():
    return {"framework": f"tensorflow {tf.__version__}, keras {keras.__version__}"}


def asarray(array):
    return tf.constant(np.array(array))


def to_numpy(tensor):
    return np.asarray(tensor)


def set_parameter(holder, tensor):
    if not hasattr(holder, "assign"):  # a tf.Variable, or Keras 3's Variable
        return False
    holder.assign(tensor)
    return True


def parameters_of(layer):
    return list(layer.trainable_weights) if hasattr(layer, "trainable_weights") else None


def bring_to_life(layer, X):
    if getattr(layer, "built", True) is False:  # a Keras layer builds its weights from its first input
        layer(X)
    return None


def seed(value):
    """Op determinism refuses unseeded random ops (a learner's initializer) until seeded."""
    tf.random.set_seed(value)
