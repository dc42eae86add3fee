"""Planted (PaddlePaddle): a Conv2D whose weight is a paddle.ParamAttr, a description of a
parameter (its name, initializer, learning rate), not a parameter: there is no array to
compute with and nothing to train. Caught with the hint "not a parameter"."""
import paddle
from paddle import nn


def corr2d(X, K):
    h, w = K.shape
    Y = paddle.zeros((X.shape[0] - h + 1, X.shape[1] - w + 1))
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            Y[i, j] = (X[i:i + h, j:j + w] * K).sum()
    return Y


class Conv2D(nn.Layer):
    def __init__(self, kernel_size):
        super().__init__()
        self.weight = paddle.ParamAttr(initializer=nn.initializer.Uniform())
        self.bias = self.create_parameter(shape=[1], is_bias=True)

    def forward(self, x):
        return corr2d(x, self.weight) + self.bias
