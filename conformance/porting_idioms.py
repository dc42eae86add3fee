"""The idioms that differ between the frameworks, as data: idiom -> backend -> snippets.

`conformance.porting` checks that every snippet occurs verbatim in the code of the idiom's
topics in that backend's file, so this table cannot drift from the backends.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Way:
    """How one backend does an idiom: snippets of its code, and what to know about them."""

    snippets: tuple
    note: str = ""


def way(*snippets, note=""):
    return Way(snippets, note)


@dataclass(frozen=True)
class Idiom:
    name: str
    topics: tuple  # each snippet must occur in the code these topics show for its backend
    ways: dict  # backend -> Way; a backend left out is shown as "not stated"


# Notes several backends share: the same words make the same idiom compare equal.
PYTHON_SUM = "a list; Python's sum adds the channels"
PER_OFFSET = "one einsum per kernel offset"
NCHW_AS_IS = "NCHW: the layer takes spec.shapes' x4 as it is"

IDIOMS = (
    Idiom("stack and sum arrays", ("corr2d",), {
        "numpy": way("np.stack([", "sum(_corr2d_single(x, k, g)", note=PYTHON_SUM),
        "torch": way("torch.stack([", "sum(_corr2d_single(x, k, g)", note=PYTHON_SUM),
        "tensorflow": way("tf.stack([", "tf.add_n([_corr2d_single(", note="a list; tf.add_n adds them"),
        "mxnet": way("nd.stack(*[", "nd.add_n(*[_corr2d_single(",
                     note="the arrays as separate arguments (`*[...]`), not a list"),
        "jax": way("jnp.stack([", "sum(_corr2d_single(x, k, g)", note=PYTHON_SUM),
    }),
    Idiom("write one element", ("corr2d",), {
        "numpy": way("Y[i, j] = (window * K).sum()", note="item assignment"),
        "torch": way("Y[i, j] = (window * K).sum()", note="item assignment, recorded by autograd"),
        "tensorflow": way("Y = tf.Variable(tf.zeros(g.out4[2:], dtype=X.dtype))",
                          "Y[i, j].assign(tf.reduce_sum(window * K))",
                          note="tensors are immutable: assign into a tf.Variable, which cuts the tape"),
        "mxnet": way("Y[i, j] = (window * K).sum()",
                     note="item assignment, not recorded by autograd: the layer uses the fast corr2d"),
        "jax": way("Y = Y.at[i, j].set((window * K).sum())",
                   note="arrays are immutable: .at[i, j].set() makes a new one, differentiable"),
    }),
    Idiom("contract the channels", ("corr2d",), {
        "numpy": way('np.einsum("nchw,oc->nohw", window, k[:, :, a, b], out=product)', "Y += product",
                     note="one einsum per kernel offset, into a buffer added in place"),
        "torch": way('torch.einsum("nchw,oc->nohw", window, k[:, :, a, b])', note=PER_OFFSET),
        "tensorflow": way('tf.einsum("nchw,oc->nohw", window, k[:, :, a, b])', note=PER_OFFSET),
        "mxnet": way("F.linalg.gemm(tap, columns, Y)",
                     note="a BLAS gemm per kernel offset, (C_out, C_in) times (C_in, N*H'*W') added onto Y; "
                          "F is nd or sym, so hybridize() compiles the same code"),
        "jax": way('jnp.einsum("nchw,oc->nohw", window, k[:, :, a, b])', note=PER_OFFSET),
    }),
    Idiom("flip the kernel", ("conv2d",), {
        "numpy": way("np.flip(K, axis=(-2, -1))"),
        "torch": way("torch.flip(K, dims=(-2, -1))", note="`dims=`, not `axis=`"),
        "tensorflow": way("tf.reverse(K, axis=[-2, -1])"),
        "mxnet": way("rows, cols = K.ndim - 2, K.ndim - 1", "nd.flip(nd.flip(K, axis=rows), axis=cols)",
                     note="one axis per call, and no negative axes"),
        "jax": way("jnp.flip(K, axis=(-2, -1))"),
    }),
    Idiom("layer class and weights", ("Conv2D",), {
        "numpy": way("class Conv2D:", "self.weight = rng.uniform(size=kernel_size).astype(dtype)",
                     note="a plain class holding arrays"),
        "torch": way("class Conv2D(nn.Module):", "self.weight = nn.Parameter(torch.rand(kernel_size))",
                     note="an nn.Parameter attribute registers the weight"),
        "tensorflow": way("class Conv2D(keras.layers.Layer):", "def build(self, input_shape):",
                          'self.weight = self.add_weight(name="weight"',
                          note="weights are made in build(), not in __init__"),
        "mxnet": way("class Conv2D(nn.Block):", 'self.weight = self.params.get("weight", shape=kernel_size)',
                     note="a Parameter without data until initialize()"),
        "jax": way("class Conv2D(nn.Module):", "def setup(self):",
                   'self.weight = self.param("weight", nn.initializers.uniform(1.0), self.kernel_size)',
                   note="flax.linen: settings are dataclass fields, parameters are declared in setup(); "
                        "the module holds no state"),
    }),
    Idiom("forward pass", ("Conv2D",), {
        "numpy": way("def forward(self, x):", "__call__ = forward", "_corr2d(x, self.weight, self._geometry(x))",
                     note="calling the layer is up to the class"),
        "torch": way("def forward(self, x):", "corr2d(x, self.weight, **self.geometry)",
                     note="the Parameter is the tensor"),
        "tensorflow": way("def call(self, x):", "corr2d(x, self.weight.value, **self.geometry)",
                          note="`call`, not `forward`; Keras 3: `.value` is the tf.Variable"),
        "mxnet": way("def forward(self, x):", "corr2d(x, self.weight.data(), **self.geometry)",
                     note="`.data()` is the Parameter's NDArray"),
        "jax": way("def __call__(self, x):", "corr2d(x, self.weight, **geometry)",
                   'layer.apply({"params": params}, X)',
                   note="`__call__`, run by apply() with the parameters passed in"),
    }),
    Idiom("default initializers", ("Conv2D",), {
        "numpy": way("rng.uniform(size=kernel_size)", note="U[0, 1), the lesson's rand; bias zeros"),
        "torch": way("torch.rand(kernel_size)",
                     note="U[0, 1), the lesson's rand; bias zeros; nn.Conv2d itself: Kaiming-uniform"),
        "tensorflow": way('initializer="random_uniform"', 'initializer="zeros"',
                          note="random_uniform is U(-0.05, 0.05); keras Conv2D itself: Glorot-uniform "
                               "kernel, zero bias"),
        "mxnet": way('self.params.get("weight", shape=kernel_size)',
                     note="initialize()'s default Uniform(-0.07, 0.07), for nn.Conv2D too; a bias is zeroed"),
        "jax": way("nn.initializers.uniform(1.0)", "nn.initializers.zeros",
                   note="U[0, 1), the lesson's rand; bias zeros; flax nn.Conv itself: LeCun-normal kernel, "
                        "zero bias"),
    }),
    Idiom("built-in layer", ("builtin",), {
        "numpy": way("rows = _im2col(X, g) @ K.reshape(g.k4[0], -1).T",
                     note="no conv layer: im2col and one matrix product"),
        "torch": way("class BuiltinConv2D(nn.Conv2d):",
                     "super().__init__(g.k4[1], g.k4[0], g.k4[2:], stride=g.stride, dilation=g.dilation,",
                     note="nn.Conv2d(in_channels, out_channels, kernel_size, stride=, dilation=, padding=, "
                          "bias=)"),
        "tensorflow": way("class BuiltinConv2D(keras.layers.Conv2D):",
                          "super().__init__(g.k4[0], g.k4[2:], strides=(1, 1) if both else g.stride,",
                          note="Conv2D(filters, kernel_size, strides=, dilation_rate=, use_bias=): "
                               "no in_channels, the input brings them"),
        "mxnet": way("class BuiltinConv2D(nn.Conv2D):",
                     "super().__init__(g.k4[0], kernel_size=g.k4[2:], strides=g.stride, dilation=g.dilation,",
                     note="nn.Conv2D(channels, kernel_size, strides=, dilation=, padding=, in_channels=, "
                          "use_bias=): out channels first"),
        "jax": way("class BuiltinConv2D(nn.Conv):",
                   "return cls(features=g.k4[0], kernel_size=g.k4[2:], strides=g.stride, padding=\"VALID\",",
                   note="nn.Conv(features, kernel_size, strides=, padding=, kernel_dilation=, use_bias=): "
                        "no in_channels, the input brings them"),
    }),
    Idiom("input layout (NCHW/NHWC)", ("builtin",), {
        "numpy": way("return rows.reshape(n, oh, ow, c_out).transpose(0, 3, 1, 2)",
                     note="NCHW; the im2col product comes out channels-last and is transposed back"),
        "torch": way("x4 = x.reshape(self.geometry.x4)", note=NCHW_AS_IS),
        "tensorflow": way("tf.transpose(tf.reshape(x, g.x4), (0, 2, 3, 1))", "tf.transpose(y, (0, 3, 1, 2))",
                          note="NHWC: transpose (0, 2, 3, 1) in and (0, 3, 1, 2) out"),
        "mxnet": way("x4 = x.reshape(self.geometry.x4)", note=NCHW_AS_IS),
        "jax": way("jnp.transpose(_pad(x.reshape(g.x4), g), (0, 2, 3, 1))", "jnp.transpose(y, (0, 3, 1, 2))",
                   note="NHWC: transpose (0, 2, 3, 1) in and (0, 3, 1, 2) out"),
    }),
    Idiom("weight layout (OIHW/HWIO), set in place", ("builtin", "learn"), {
        "numpy": way("layer.weight[...] = weight", "kernel = self.weight.reshape(c_out, -1)",
                     note="OIHW; im2col flattens it to (C_out, C_in*kh*kw)"),
        "torch": way("with torch.no_grad():", "layer.weight.copy_(K.reshape(g.k4))",
                     note="OIHW; copy_ in place, outside the graph"),
        "tensorflow": way("self.kernel.assign(tf.transpose(tf.reshape(K, self.geometry.k4), (2, 3, 1, 0)))",
                          "weight = tf.transpose(weight, (3, 2, 0, 1))",
                          note="HWIO: transpose (2, 3, 1, 0) from OIHW, (3, 2, 0, 1) back; "
                               "the kernel exists only after build()"),
        "mxnet": way("layer.initialize()", "layer.weight.set_data(weight.reshape(layer.weight.shape))",
                     note="OIHW; initialize() first, then set_data()"),
        "jax": way("return jnp.transpose(K4, (2, 3, 1, 0))",
                   'params = {"kernel": _oihw_to_hwio(weight.reshape(g.k4))}',
                   note="HWIO; nothing is set in place: the parameters are a dict passed to apply()"),
    }),
    Idiom("padding", ("builtin",), {
        "numpy": way("np.pad(X.reshape(g.x4), ((0, 0), (0, 0)) + g.padding)",
                     note="(before, after) per axis"),
        "torch": way("padding=symmetric or 0", "F.pad(x4, (left, right, top, bottom))",
                     note="the layer pads symmetrically only; else F.pad first, last axis first"),
        "tensorflow": way("keras.layers.ZeroPadding2D(g.padding, dtype=self.dtype_policy)",
                          "tf.pad(x4, ((0, 0), (0, 0)) + g.padding)",
                          note="Conv2D pads only 'valid' or 'same': a ZeroPadding2D layer in front; "
                               "tf.pad takes (before, after) per axis"),
        "mxnet": way("padding=symmetric or (0, 0)",
                     'x4.pad(mode="constant", pad_width=(0, 0, 0, 0, top, bottom, left, right))',
                     note="the layer pads symmetrically only; else pad first (the fluent method works on "
                          "nd and sym alike): 4-D or 5-D arrays, a flat (before, after) per axis"),
        "jax": way("jnp.pad(x4, ((0, 0), (0, 0)) + g.padding)", 'padding="VALID"',
                   note="jnp.pad first, (before, after) per axis: nn.Conv's own padding skips the padded "
                        "positions, so 0 * inf there gives no NaN"),
    }),
    Idiom("stride with dilation", ("builtin",), {
        "numpy": way("[:, :, ::sh, ::sw, ::dh, ::dw]", note="both at once, as strided views"),
        "torch": way("stride=g.stride, dilation=g.dilation", note="both at once"),
        "tensorflow": way("strides=(1, 1) if both else g.stride",
                          "y = super().call(nhwc)[:, :: self.subsample[0], :: self.subsample[1], :]",
                          note="Keras refuses both above 1: stride 1, then keep every stride-th output"),
        "mxnet": way("strides=g.stride, dilation=g.dilation", note="both at once"),
        "jax": way("strides=g.stride", "kernel_dilation=g.dilation", note="both at once"),
    }),
    Idiom("float64", ("builtin", "learn"), {
        "numpy": way("(weight.shape, **geometry, dtype=weight.dtype)", note="arrays keep their dtype"),
        "torch": way("layer = layer.to(weight.dtype)",
                     note="layers are made float32: .to(dtype) converts them"),
        "tensorflow": way("dtype = weight.dtype.name", "BuiltinConv2D(g, use_bias=False, dtype=X.dtype.name)",
                          note="the dtype is fixed when the layer is made: Layer(..., dtype=\"float64\")"),
        "mxnet": way("layer.cast(weight.dtype)", note="blocks are made float32: cast() after initialize()"),
        "jax": way(note="jax_enable_x64, set at import, or float64 arrays silently become float32; "
                        "the parameters are the arrays passed in, in their dtype"),
    }),
    Idiom("record gradients", ("learn", "grad"), {
        "numpy": way("dX = layer.backward(G)",
                     note="no autograd: the layer classes write backward() (topic Conv2D)"),
        "torch": way("X = X.clone().requires_grad_()",
                     note="always on for parameters; an input needs requires_grad_()"),
        "tensorflow": way("with tf.GradientTape(watch_accessed_variables=False) as tape:",
                          "tape.watch(variable.value)", "tape.watch(X)",
                          note="a tape around the forward pass, watching an input, or a Keras 3 weight's "
                               "`.value` (the tf.Variable)"),
        "mxnet": way("with autograd.record():", "X.attach_grad()",
                     note="record() around the forward pass; an input needs attach_grad()"),
        "jax": way("jax.vjp(lambda x, p: layer.apply({\"params\": p}, x), X, params)",
                   "jax.value_and_grad(loss)(params)",
                   note="nothing is recorded: transform a pure function of the parameters"),
    }),
    Idiom("zero gradients", ("learn",), {
        "numpy": way(note="not needed: backward() overwrites weight_grad"),
        "torch": way("net.zero_grad()", note="needed: backward() adds to .grad"),
        "tensorflow": way(note="not needed: a new tape each step"),
        "mxnet": way(note="not needed: grad_req=\"write\", the default, overwrites each backward()"),
        "jax": way(note="not needed: gradients are returned, not accumulated"),
    }),
    Idiom("backward on a non-scalar loss", ("learn", "grad"), {
        "numpy": way("net.backward(2 * residual)", note="the loss's gradient by hand: d sum(r**2) / dr = 2r"),
        "torch": way("l.sum().backward()", "(layer(X) * G).sum().backward()",
                     note="backward() needs a scalar: sum first"),
        "tensorflow": way("tape.gradient(l, [variable.value for variable in learned])",
                          note="tape.gradient sums a non-scalar target"),
        "mxnet": way("l.backward()", "y.backward()",
                     note="a non-scalar head gets a gradient of ones: sum(l)"),
        "jax": way("return ((Y_hat - Y) ** 2).sum()", "dX, dparams = pullback(G)",
                   note="jax.grad needs a scalar function: sum in the loss; a vjp pulls back a non-scalar G"),
    }),
    Idiom("read a gradient", ("learn", "grad"), {
        "numpy": way("layer.weight_grad", note="whatever backward() stored"),
        "torch": way("net.weight.grad", "X.grad", note="an attribute"),
        "tensorflow": way("dX, dK, db = tape.gradient(y, [X, layer.weight.value, layer.bias.value])",
                          note="returned by the tape, in HWIO for the built-in kernel"),
        "mxnet": way("conv.weight.grad()", "X.grad",
                     note="a method of a Parameter, an attribute of an NDArray"),
        "jax": way("l, grads = jax.value_and_grad(loss)(params)", "dX, dparams = pullback(G)",
                   note="returned, a dict shaped like the parameters"),
    }),
    Idiom("update in place", ("learn",), {
        "numpy": way("net.weight -= lr * net.weight_grad"),
        "torch": way("with torch.no_grad():", "net.weight -= lr * net.weight.grad",
                     note="outside the graph, or autograd refuses the in-place change"),
        "tensorflow": way("variable.assign_sub(lr * gradient)"),
        "mxnet": way("conv.weight.data()[:] -= lr * conv.weight.grad()",
                     note="write into the Parameter's NDArray"),
        "jax": way("return {key: p - lr * grads[key] if key in learned else p for key, p in params.items()}, l",
                   note="no in-place update: a new parameter dict"),
    }),
    Idiom("loss as a Python float", ("learn",), {
        "numpy": way("float(np.sum(residual**2))"),
        "torch": way("l.sum().item()"),
        "tensorflow": way("float(tf.reduce_sum(l))"),
        "mxnet": way("l.sum().asscalar().item()", note="asscalar() is a NumPy scalar"),
        "jax": way("float(l)"),
    }),
    Idiom("compile the learning loop", ("compiled", "learn"), {
        "numpy": way(note="nothing to compile: the fast form is whole-array NumPy already"),
        "torch": way(note="no compiled path: torch.compile took about 29 s to compile the 10-step loop "
                          "here and ran it no faster than the eager loop (measured, torch 2.13 on the CPU)"),
        "tensorflow": way("@tf.function(jit_compile=True)", "for step in tf.range(steps):",
                          note="XLA compiles the whole loop: a while loop around the tape's step, the "
                               "variables assigned inside it"),
        "mxnet": way("_COMPILED[key].hybridize(static_alloc=True, static_shape=True)",
                     "def hybrid_forward(self, F, X, Y):",
                     note="hybridize() traces HybridBlocks (F is mx.sym) into one cached graph per shape; "
                          "each step's record(), backward() and update stay Python calls"),
        "jax": way("@partial(jax.jit, static_argnums=(0, 1, 2))", "jax.lax.scan(",
                   note="the steps as a lax.scan inside one jitted function; the flax module is a "
                        "static (hashable) argument"),
    }),
)
