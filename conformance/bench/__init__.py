"""The benchmark: the parent (`run`: the floor, one worker per backend in turn, the
summary) and the worker (`worker`: one framework's timings, in its own environment)."""
