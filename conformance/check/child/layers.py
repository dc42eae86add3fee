"""The target's `Conv2D` class, put through a layer case in the child: construct it with the
case's kernel size, set its weight and bias the framework's way, run its forward pass.

Nothing here names a framework: the framework's ways come from its adapter
(`backends/NAME/tensors.py`, the backend's declared knowledge), each optional:
- `bring_to_life(layer, X)`: parameters that come to life when first used (a block's
  `initialize()`, a layer built from its first input); a functional module returns its
  variables, whose parameters then travel with `apply`;
- `set_parameter(holder, tensor)`: set one parameter the framework's way (True where it did);
- `parameters_of(layer)`: the layer's own list of registered parameters (None: it keeps none).
What is left here holds in any framework: a weight still None is made by a first call, and a
plain array or an indexable tensor is set in place. A plain tensor in an attribute computes
the same forward pass but is never trained, and that is reported.
"""

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


def _registered(layer, value, framework):
    """Whether `value` is one of the layer's own parameters; None where it keeps no list."""
    found = framework.parameters_of(layer) if hasattr(framework, "parameters_of") else None
    return None if found is None else any(p is value for p in found)


def _set(holder, value, *, to_tensor, framework):
    """Set one parameter the framework's way, else in place; False where nothing fits."""
    dtype = _dtype_name(holder)
    tensor = to_tensor(value.astype(dtype) if dtype else value)
    if hasattr(framework, "set_parameter") and framework.set_parameter(holder, tensor):
        return True
    if isinstance(holder, np.ndarray):
        holder[...] = value
    elif hasattr(holder, "__setitem__"):
        holder[:] = tensor
    else:
        return False
    return True


def _bring_to_life(layer, X, framework):
    """Parameters of a layer that creates them late; a functional module's variables."""
    variables = framework.bring_to_life(layer, X) if hasattr(framework, "bring_to_life") else None
    if variables is None and getattr(layer, "weight", 0) is None:
        layer(X)  # a weight made in the first forward pass
    return variables


def _params_of(variables):
    params = variables.get("params", variables)
    return params if isinstance(params, dict) else dict(params)


def run(cls, case, geometry, *, to_tensor, framework):
    """({"Y": output or None}, info): info says how the layer was made, its weight's and bias's
    shapes, whether they are registered parameters, and what stopped the forward pass."""
    weight, bias = case.inputs["weight"], case.inputs["bias"]
    kernel_size = tuple(weight.shape)
    layer, note = construct(cls, kernel_size, geometry)
    info = {"kernel_size": list(kernel_size), "notes": [note] if note else []}
    X = to_tensor(case.inputs["X"])
    variables = _bring_to_life(layer, X, framework)
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
    info["registered"] = True if variables is not None else _registered(layer, w, framework)
    info["bias_registered"] = None if b is None else (
        True if variables is not None else _registered(layer, b, framework))
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
    if not _set(w, weight, to_tensor=to_tensor, framework=framework) or (
            b is not None and not _set(b, bias.reshape(_shape(b)), to_tensor=to_tensor, framework=framework)):
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
