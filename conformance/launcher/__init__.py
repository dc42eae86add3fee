"""The `convsuite` command: each subcommand of `python -m conformance`, run in the pinned
environment it needs (built on first use), and `matrix`, the main job."""
