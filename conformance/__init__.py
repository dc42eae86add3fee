"""The conformance harness, one package per subsystem:

- `harness`: run cases through one backend, write results files, compare them, the table;
- `fuzz`: generated cases through every backend, compared and shrunk;
- `bench`: timings of every path against the machine's floor;
- `report`: the comparison as HTML and Markdown, with plots;
- `porting`: the porting guide, generated from the backends' source;
- `__main__`: the ``python -m conformance`` command line.
"""
