"""The pinned virtual environments every command runs in, built on first use and kept.

- `specs`: which environments exist (one per backend environment the registry declares,
  plus the report's and the bench's), and the key that names a build of one (its Python and
  the text of its requirements files);
- `build`: building one with uv (or venv and pip where uv is missing) under a file lock,
  several side by side;
- `cli`: `convsuite env list | build | path | remove`.

The installed `convsuite` command, nox's sessions and `check`'s overlays all find their
environments here, in the user's cache folder (platformdirs), so that the test command and a
user build the same environments the same way.
"""
