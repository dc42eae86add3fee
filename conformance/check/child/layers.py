"""The target's `Conv2D` class, put through a layer case in the child: construct it with the
case's kernel size, set its weight and bias the framework's way, run its forward pass.

Nothing here names a framework: each framework's way is recognised by what its objects
offer. A layer whose parameters come to life when they are first used is brought to life
first (`initialize()` for a block, a first call for a layer built from its input, `init`
for a functional module, whose parameters then travel with `apply`). A parameter is set with
`set_data` (a block's parameter), `assign` (a variable), `set_value`, or in place through its
`.data` (a tensor parameter); a plain array in place. Whether the weight is a registered
parameter at all is read from the layer's own list (`collect_params`, `trainable_weights`,
`parameters()`): a plain tensor in an attribute computes the same forward pass but is never
trained, and that is reported.
"""

import dataclasses
import inspect

import numpy as np

WEIGHT_NAMES = ("weight", "w", "kernel", "K")
BIAS_NAMES = ("bias", "b")


def _shape(value):
    shape = getattr(value, "shape", None)
    if shape is None and hasattr(value, "data") and callable(value.data):
        shape = value.data().shape
    return tuple(int(s) for s in shape) if shape is not None else None


def _dtype_name(value):
    text = str(getattr(value, "dtype", ""))
    return next((name for name in ("float64", "float32", "float16") if name in text), None)


def _functional(layer):
    return dataclasses.is_dataclass(layer) and hasattr(layer, "init") and hasattr(layer, "apply")


def construct(cls, kernel_size, geometry):
    """An instance of `cls` for `kernel_size` (the lesson's Conv2D(kernel_size)); a note when
    its constructor takes no kernel size."""
    try:
        parameters = [p for p in inspect.signature(cls).parameters.values()
                      if p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)]
    except (TypeError, ValueError):
        parameters = []
    names = [p.name for p in parameters]
    required = [p for p in parameters if p.default is p.empty and p.name not in geometry]
    if "kernel_size" in names:
        return cls(kernel_size=kernel_size, **geometry), None
    if required or (parameters and parameters[0].name not in geometry):
        return cls(kernel_size, **geometry), None
    return cls(**geometry), f"{cls.__name__}() takes no kernel size: constructed as {cls.__name__}()"


def _named(holder, names):
    for name in names:
        value = holder.get(name) if isinstance(holder, dict) else getattr(holder, name, None)
        if value is not None:
            return name, value
    return None, None


def _registered(layer, value):
    """Whether `value` is one of the layer's own parameters; None where it keeps no list."""
    if hasattr(layer, "collect_params"):
        found = list(layer.collect_params().values())
    elif hasattr(layer, "trainable_weights"):
        found = list(layer.trainable_weights)
    elif callable(getattr(layer, "parameters", None)):
        found = list(layer.parameters())
    else:
        return None
    return any(p is value for p in found)


def _set(holder, value, to_tensor):
    """Set one parameter the framework's way; False where nothing fits."""
    dtype = _dtype_name(holder)
    tensor = to_tensor(value.astype(dtype) if dtype else value)
    if hasattr(holder, "set_data"):
        holder.set_data(tensor)
    elif hasattr(holder, "assign"):
        holder.assign(tensor)
    elif hasattr(holder, "set_value"):
        holder.set_value(tensor)
    elif hasattr(holder, "copy_") and hasattr(holder, "data"):
        holder.data.copy_(tensor)
    elif isinstance(holder, np.ndarray):
        holder[...] = value
    elif hasattr(holder, "__setitem__"):
        holder[:] = tensor
    else:
        return False
    return True


def _bring_to_life(layer, X):
    """Parameters of a layer that creates them late; the functional module's variables."""
    if _functional(layer):
        return layer.init(np.zeros(2, dtype=np.uint32), X)  # a raw PRNG key: two uint32 words
    if hasattr(layer, "initialize") and hasattr(layer, "collect_params"):
        layer.initialize()
    if getattr(layer, "built", True) is False or getattr(layer, "weight", 0) is None:
        layer(X)  # built from its first input (or creating its weight in forward)
    return None


def _params_of(variables):
    params = variables.get("params", variables)
    return params if isinstance(params, dict) else dict(params)


def run(cls, case, geometry, to_tensor):
    """({"Y": output or None}, info): info says how the layer was made, its weight's and bias's
    shapes, whether they are registered parameters, and what stopped the forward pass."""
    weight, bias = case.inputs["weight"], case.inputs["bias"]
    kernel_size = tuple(weight.shape)
    layer, note = construct(cls, kernel_size, geometry)
    info = {"kernel_size": list(kernel_size), "notes": [note] if note else []}
    X = to_tensor(case.inputs["X"])
    variables = _bring_to_life(layer, X)
    holder = _params_of(variables) if variables is not None else layer
    w_name, w = _named(holder, WEIGHT_NAMES)
    b_name, b = _named(holder, BIAS_NAMES)
    info.update(weight_shape=_shape(w) and list(_shape(w)), bias_shape=_shape(b) and list(_shape(b)),
                weight_name=w_name, bias_name=b_name, weight_type=type(w).__qualname__,
                bias_type=type(b).__qualname__)
    if w is None:
        info["problem"] = "no-weight"
        return {"Y": None}, info
    if _shape(w) is None:  # a description of a parameter, a number: nothing to compute with
        info.update(problem="not-a-parameter", registered=False)
        return {"Y": None}, info
    info["registered"] = True if variables is not None else _registered(layer, w)
    info["bias_registered"] = None if b is None else (True if variables is not None else _registered(layer, b))
    if tuple(_shape(w)) != kernel_size:
        info["problem"] = "weight-shape"
        return {"Y": None}, info
    if b is not None and int(np.prod(_shape(b) or ())) != bias.size:
        info["problem"] = "bias-shape"
        return {"Y": None}, info
    if variables is not None:
        params = dict(_params_of(variables))
        params[w_name] = to_tensor(weight.astype(_dtype_name(w) or weight.dtype))
        if b is not None:
            params[b_name] = to_tensor(bias.reshape(_shape(b)).astype(_dtype_name(b) or bias.dtype))
        return {"Y": layer.apply({**variables, "params": params}, X)}, info
    if not _set(w, weight, to_tensor) or (b is not None and not _set(b, bias.reshape(_shape(b)), to_tensor)):
        info["problem"] = "cannot-set"
        return {"Y": None}, info
    if b is None:
        info["notes"].append(f"{cls.__name__} has no bias attribute: the case's bias was not set")
    held = _dtype_name(w)
    if held and held != str(case.inputs["X"].dtype) and held in ("float32", "float16"):
        X = to_tensor(case.inputs["X"].astype(held))  # the layer computes in its parameters' dtype
        info["notes"].append(f"the layer's parameters are {held}: the {case.inputs['X'].dtype} case ran in {held}")
    forward = layer if callable(layer) else getattr(layer, "forward")
    return {"Y": forward(X)}, info
