"""Mark every mutant outside a backend's targets skipped in a cosmic-ray session, and every
declared equivalent skipped with its reason (run in the tool's environment, where cosmic-ray's
WorkDB is: `python -m convsuite.conformance.mutants.scope SESSION ROOT NAME`).

In scope: a mutation that starts inside one of the target functions (targets.toml) and whose
operator is one of targets.toml's `operators`. Where targets.toml's `sample` says "function"
for a file, only the first mutant of each operator in each function runs (the rest are
skipped as not sampled): each kernel mutant costs a Numba compile, and every term of
`_taps8` is the same expression as the first."""

import ast
import pathlib
import sys
import tomllib

from convsuite.conformance.mutants import equivalents

TARGETS = pathlib.Path(__file__).with_name("targets.toml")
OUT_OF_SCOPE = "out of scope"
EQUIVALENT = "equivalent: "
NOT_SAMPLED = "not sampled"


def targets():
    return tomllib.loads(TARGETS.read_text(encoding="utf-8"))


def function_lines(source, names):
    """{name: (first line, last line)} of each named function or Class.method in `source`."""
    found = {}
    for node in ast.parse(source).body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            found[node.name] = (node.lineno, node.end_lineno)
        elif isinstance(node, ast.ClassDef):
            for inner in node.body:
                if isinstance(inner, ast.FunctionDef):
                    found[f"{node.name}.{inner.name}"] = (inner.lineno, inner.end_lineno)
    missing = sorted(set(names) - set(found))
    if missing:
        raise ValueError(f"targets.toml names functions that are gone: {', '.join(missing)}")
    return [found[name] for name in names]


def ranges(root, backend):
    """{file: [(first, last), ...]} of the backend's target functions."""
    return {path: function_lines(pathlib.Path(root, path).read_text(encoding="utf-8"), names)
            for path, names in targets()[backend]["functions"].items()}


def mutated_line(root, mutation):
    """The text of the mutated line, as cosmic-ray's worker will write it."""
    from cosmic_ray.mutating import mutate_code
    from cosmic_ray.plugins import get_operator

    source = pathlib.Path(root, mutation.module_path).read_text(encoding="utf-8")
    operator = get_operator(mutation.operator_name)(**mutation.operator_args)
    mutated = mutate_code(source, operator, mutation.occurrence) or source
    return mutated.splitlines()[mutation.start_pos[0] - 1].strip()


def verdict(root, mutation, spans, operators, declared, sampled, seen):
    """None (run it), or why it is skipped. `seen` collects the (file, function, operator)
    already taken in the files `sampled` names."""
    line = mutation.start_pos[0]
    path = str(mutation.module_path)
    span = next(((a, b) for a, b in spans.get(path, ()) if a <= line <= b), None)
    if mutation.operator_name not in operators or span is None:
        return OUT_OF_SCOPE
    entry = equivalents.matching(declared, path, mutation.operator_name, line, lambda: mutated_line(root, mutation))
    if entry:
        return EQUIVALENT + entry["reason"]
    if sampled.get(path) == "function":
        key = (path, span, mutation.operator_name)
        if key in seen:
            return NOT_SAMPLED
        seen.add(key)
    return None


def main(session, root, backend):
    from cosmic_ray.work_db import use_db
    from cosmic_ray.work_item import WorkerOutcome, WorkResult

    spans, operators = ranges(root, backend), set(targets()["operators"])
    sampled, seen = targets()[backend].get("sample", {}), set()
    declared = equivalents.load(root)
    with use_db(session) as db:
        skipped = {}
        items = sorted(db.pending_work_items, key=lambda item: [(str(m.module_path), m.start_pos) for m in item.mutations])
        for item in items:
            reasons = {verdict(root, mutation, spans, operators, declared, sampled, seen) for mutation in item.mutations} - {None}
            if reasons:
                skipped.setdefault(min(reasons), []).append(item.job_id)
        for reason, jobs in skipped.items():
            db.set_multiple_results(jobs, WorkResult(output=reason, worker_outcome=WorkerOutcome.SKIPPED))


if __name__ == "__main__":
    try:
        main(*sys.argv[1:])
    except ValueError as error:  # a stale target or equivalents entry
        print(f"mutants: {error}", file=sys.stderr)
        sys.exit(2)
