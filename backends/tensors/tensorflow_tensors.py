"""TensorFlow 2 / Keras 3, for check's child (see `backends.tensors`)."""

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


def seed(value):
    """Op determinism refuses unseeded random ops (a learner's initializer) until seeded."""
    tf.random.set_seed(value)
