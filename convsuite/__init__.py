"""convsuite: one specification of 2-D cross-correlation, per-framework backends, and the
harness that checks them.

Installed (`pip install .`), the distribution holds one top-level package, `convsuite`, with
the checkout's folders under it: `convsuite.spec`, `convsuite.backends`,
`convsuite.conformance` and `convsuite.requirements` (pyproject's `package-dir`). PyPI has
unrelated projects called spec, backends and conformance, so those names are never claimed.

In a checkout the folders stay at the top level, beside this one, and this package's path
also holds the checkout's root: `convsuite.spec` is then `spec/`, and the same code imports
the same way both ways.
"""

import pathlib

_HERE = pathlib.Path(__file__).resolve().parent
if not (_HERE / "spec").is_dir() and (_HERE.parent / "spec" / "__init__.py").is_file():
    __path__.append(str(_HERE.parent))  # a checkout: spec/, backends/, ... sit beside convsuite/


def resource(relative):
    """The file a checkout calls `relative` ("requirements/check.txt", "backends/torch/torchvision_cpu.sh"),
    wherever this copy of convsuite keeps it."""
    for base in __path__:
        path = pathlib.Path(base, relative)
        if path.exists():
            return path.resolve()
    raise FileNotFoundError(f"convsuite has no {relative} (looked in {', '.join(__path__)})")


def _version():
    try:  # written by setuptools-scm when the distribution is built or installed
        from convsuite._version import version
    except ImportError:
        return "0+unknown (a checkout that was never installed: pip install -e . writes the version)"
    return version


__version__ = _version()
