"""A tab's crash or hang is its step's verdict, never a crash of tabs: the sandbox's fresh
child goes on with the next cells (check's supervisor), and the chapter fails."""

import json
import textwrap

from tabs_run import tabs

CHAPTER = textwrap.dedent("""\
    # A tab that crashes and hangs

    ```{.python .input}
    #@tab numpy
    import numpy as np
    np.ones(2)
    ```

    It dies.

    ```{.python .input}
    #@tab numpy
    import os
    os._exit(3)
    ```

    It hangs.

    ```{.python .input}
    #@tab numpy
    while True:
        pass
    ```

    It goes on.

    ```{.python .input}
    #@tab numpy
    np.ones(3).shape
    ```
    """)


def test_a_crash_and_a_hang_are_their_steps_verdicts(tmp_path):
    path = tmp_path / "chapter.md"
    path.write_text(CHAPTER)
    status, out, err = tabs(path, "--json", "--cell-timeout", "3")
    doc = json.loads(out)
    assert (status, doc["verdict"]) == (1, "ERROR"), err
    steps = {s["step"]: s for s in doc["steps"]}
    assert {n: s["status"] for n, s in steps.items()} == {1: "one tab", 2: "error", 3: "error", 4: "one tab"}
    crash, hang = steps[2]["cells"]["numpy"]["error"], steps[3]["cells"]["numpy"]["error"]
    assert crash["type"] == "crash" and "exited with status 3" in crash["message"]
    assert hang["type"] == "hang" and "still running after 3 s" in hang["message"]
    assert steps[4]["line_text"] == "shape (3,); nothing to compare with"
