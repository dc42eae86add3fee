import numpy as np


class Conv2D:
    def __init__(self, kernel_size):
        self.weight = np.random.uniform(size=kernel_size)
        self.bias = np.zeros(1)

    def __call__(self, x):
        return corr2d(x, self.weight) + self.bias
