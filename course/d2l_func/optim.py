"""A stand-in for the author's `optim` module that seed 004 imports from ../d2l_func/ (not in
the post): `sgd` as its call uses it, plain SGD with L2 weight decay, in place."""


def sgd(params, lr, weight_decay=0):
    for param in params:
        param.data -= lr * (param.grad + weight_decay * param.data)
