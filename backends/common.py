"""What the backend modules share, none of it about a framework (Keras 3's backend/common):
each backend imports its framework, NumPy, `spec` and this."""

import os


def cache_folder(name):
    """Where compiled programs persist between runs: a user cache folder outside the checkout
    (``$XDG_CACHE_HOME/convsuite/NAME``, ``~/.cache`` by default), so that reruns and fresh
    clones on one machine load them instead of compiling; the workflow keeps
    ``~/.cache/convsuite`` with actions/cache. A cached program is the same program: results
    stay bit-identical."""
    return os.path.join(os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "convsuite", name)
