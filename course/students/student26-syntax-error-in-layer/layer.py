import numpy as np


class Conv2D:
    def __init__(self, kernel_size)
        self.weight = np.random.uniform(size=kernel_size)
