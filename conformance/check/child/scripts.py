"""Learning loops written as scripts: found, run with their cells, and said to be unchecked.

The chapters train the kernel at the top level of a cell: a loop around a forward pass, a
gradient and an update, starting from the layer's own random initial weights. Such a loop
runs (its cell's errors are reported like any other's), but what it computes cannot be
compared with a case: the case fixes K_init, the script draws its own. So each is listed
as "run, not checked", with where it is and how to make it checkable.
"""

import ast

# What a training step calls, in any framework: backward(), tape.gradient(...), grad(...),
# value_and_grad(...), autograd's record(); and an update written as `-=`.
GRADIENT_CALLS = {"backward", "gradient", "grad", "value_and_grad", "record", "GradientTape"}


def _called_names(node):
    for inner in ast.walk(node):
        if isinstance(inner, ast.Call):
            func = inner.func
            yield func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)


def _trains(loop):
    updates = any(isinstance(n, ast.AugAssign) and isinstance(n.op, ast.Sub) for n in ast.walk(loop))
    return bool(GRADIENT_CALLS & set(_called_names(loop))) or (updates and "backward" in set(_called_names(loop)))


def find(cells, python_of):
    """[{"where", "code"}] for every top-level loop that trains, in the cells that were run.

    `python_of(cell)` gives the cell's code as Python (IPython's transformation of it)."""
    loops = []
    for cell in cells:
        try:
            tree = ast.parse(python_of(cell))
        except SyntaxError:
            continue
        for node in tree.body:
            if isinstance(node, (ast.For, ast.While)) and _trains(node):
                line = cell.source.splitlines()[node.lineno - 1].strip() if cell.source else ""
                loops.append({"where": cell.where(node.lineno), "code": line})
    return loops
