"""The lesson's loops: corr2d one output element at a time, over channels and the batch."""

from mxnet import nd

from convsuite.spec.shapes import DEFAULT, conv_geometry

from .builtin import _pad


def _corr2d_single(X, K, g):
    """The lesson's corr2d on one padded channel (item assignment: not differentiable)."""
    Y = nd.zeros(g.out4[2:], dtype=X.dtype)
    for i in range(Y.shape[0]):
        for j in range(Y.shape[1]):
            window = X[g.output_window(i, j)]
            Y[i, j] = (window * K).sum()
    return Y


def corr2d_loop(X, K, geometry=DEFAULT):
    """The lessons' loops: corr2d per channel, summed over input channels
    (corr2d_multi_in), stacked over output channels (corr2d_multi_in_out) and the batch;
    each output channel sums over its group's input channels only."""
    g = conv_geometry(X.shape, K.shape, geometry)
    X4, K4 = _pad(X.reshape(g.x4), g), K.reshape(g.k4)
    Y = nd.stack(*[
        nd.stack(*[nd.add_n(*[_corr2d_single(X4[n, g.input_channels(o).start + c], K4[o, c], g)
                               for c in range(g.k4[1])])
                   for o in range(g.k4[0])])
        for n in range(g.x4[0])
    ])
    return Y.reshape(g.out_shape)
