"""The built-in cases that no test may compute in its own process."""


def crash_cases(backend, raw_cases):
    """The cases a documented difference says kill or corrupt this backend's framework on one
    of its paths (its folder's differences.toml, `spec.differences`, gives "crash"): `run`
    computes them alone in a child, and no test may compute them in its own process."""
    from convsuite.conformance.harness.runner import PATHS, offers
    from convsuite.spec import differences

    columns = [f"{backend.name}:{path}" for path in PATHS if offers(backend, path)]
    return [raw for raw in raw_cases if any(differences.crashes(column, raw) for column in columns)]
