"""Learning loops written as scripts: found, run with their cells, and said to be unchecked.

The chapters train the kernel at the top level of a cell: a loop around a forward pass, a
gradient and an update, starting from the layer's own random initial weights. Such a loop
runs (its cell's errors are reported like any other's), but what it computes cannot be
compared with a case: the case fixes K_init, the script draws its own. So each is listed
as "run, not checked", with where it is and how to make it checkable.
"""

import ast

# What a training step calls comes from the backend's declaration (its "check" facts:
# loss.backward(), tape.gradient(...), autograd.record(), jax.grad(...)), sent with the job.


def _called_names(node):
    for inner in ast.walk(node):
        if isinstance(inner, ast.Call):
            func = inner.func
            yield func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)


def _trains(loop, training_calls):
    return bool(set(training_calls) & set(_called_names(loop)))


def find(cells, python_of, training_calls):
    """[{"where", "code"}] for every top-level loop that trains, in the cells that were run.

    `python_of(cell)` gives the cell's code as Python (IPython's transformation of it);
    `training_calls` are the names a training step calls in the framework's idiom."""
    loops = []
    for cell in cells:
        try:
            tree = ast.parse(python_of(cell))
        except SyntaxError:
            continue
        for node in tree.body:
            if isinstance(node, (ast.For, ast.While)) and _trains(node, training_calls):
                line = cell.source.splitlines()[node.lineno - 1].strip() if cell.source else ""
                loops.append({"where": cell.where(node.lineno), "code": line})
    return loops
