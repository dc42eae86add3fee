"""`check --forbid`: the uses of forbidden functions, found in the target's source without
running it. Every alias of a forbidden name is caught, look-alikes (a local conv2d, a
parameter, a comment, a string) are not, a notebook's or chapter's findings name the cell,
`--forbid builtins` is the backend's declared list, and a bad value is a usage error. The
lint never imports the frameworks it names, so it runs in the NumPy session alone."""

import json
import re

import nbformat
import pytest

from checking import LESSON, check
from convsuite import backends
from convsuite.backends import contract, facts
from convsuite.conformance.check import forbid
from convsuite.conformance.check.child.sources import Cell
from planting import throwaway_backend

pytestmark = pytest.mark.check_backend("numpy")

FORBIDDEN = ["torch.nn.functional.conv2d", "torch.nn.Conv2d", "scipy.signal.correlate2d", "tensorflow.nn.conv2d"]


def uses(source, forbidden=FORBIDDEN):
    """[(line, the name it uses, the forbidden name it matches)] in a .py file's source."""
    found = forbid.lint_cells([Cell(source, "mine.py", "mine.py", first_line=1, ipython=False)], forbidden,
                              python_file=True)
    assert not found.notes, found.notes
    return [(int(u.where.split()[-1]), u.used, u.name) for u in found.uses]


F_CONV = "torch.nn.functional.conv2d"


@pytest.mark.parametrize("source, line, used", [
    ("import torch.nn.functional as F\nY = F.conv2d(X, K)\n", 2, F_CONV),
    ("from torch.nn import functional as F\nY = F.conv2d(X, K)\n", 2, F_CONV),
    ("from torch.nn.functional import conv2d\nY = conv2d(X, K)\n", 2, F_CONV),
    ("from torch.nn.functional import conv2d as xcorr\n\n\nY = xcorr(X, K)\n", 4, F_CONV),
    ("from scipy.signal import correlate2d as c\nY = c(X, K, mode='valid')\n", 2, "scipy.signal.correlate2d"),
    ("from scipy import signal\nY = signal.correlate2d(X, K)\n", 2, "scipy.signal.correlate2d"),
    ("import scipy.signal\nY = scipy.signal.correlate2d(X, K)\n", 2, "scipy.signal.correlate2d"),
    ("import tensorflow as tf\nY = tf.nn.conv2d(X, K, 1, 'VALID')\n", 2, "tensorflow.nn.conv2d"),
    ("import torch\nY = torch.nn.functional.conv2d(X, K)\n", 2, F_CONV),
    ("import torch.nn.functional\nY = torch.nn.functional.conv2d(X, K)\n", 2, F_CONV),
    ("from torch import nn\nY = nn.functional.conv2d(X, K)\n", 2, F_CONV),
    ("import torch.nn.functional as F\nY = getattr(F, 'conv2d')(X, K)\n", 2, F_CONV),
    ("import torch\nfunctional = torch.nn.functional\nY = functional.conv2d(X, K)\n", 3, F_CONV),
    ("from torch.nn.functional import *\nY = conv2d(X, K)\n", 2, F_CONV),
    ("import importlib\nF = importlib.import_module('torch.nn.functional')\nY = F.conv2d(X, K)\n", 3, F_CONV),
    ("import torch.nn.functional as F\n\ndef corr2d(X, K):\n    return F.conv2d(X, K)\n", 4, F_CONV),
    ("def corr2d(X, K):\n    import torch.nn.functional as F\n    return F.conv2d(X, K)\n", 3, F_CONV),
    ("def corr2d(X, K):\n    return F.conv2d(X, K)\n\nimport torch.nn.functional as F\n", 2, F_CONV),  # a later cell
    ("import torch\n\nclass Conv2D(torch.nn.Conv2d):\n    pass\n", 3, "torch.nn.Conv2d"),
    ("import torch.nn as nn\nlayer = nn.Conv2d(1, 1, (2, 2))\n", 2, "torch.nn.Conv2d"),
], ids=["import-as", "from-import-as", "from-import", "from-import-as-function", "scipy-as", "from-scipy-module",
        "import-dotted", "tf-alias", "full-chain", "import-submodule", "from-package", "getattr-literal",
        "assigned-module", "star-import", "import-module", "in-function", "import-in-function", "imported-later",
        "base-class", "layer"])
def test_every_kind_of_alias_is_caught_with_its_line(source, line, used):
    assert (line, used, used) in uses(source)


def test_a_module_prefix_forbids_everything_under_it_and_the_problem_says_which():
    found = forbid.lint_cells([Cell("import scipy.signal as s\nY = s.convolve2d(X, K)\n", "m.py", "m.py", 1, False)],
                              ["scipy.signal"], python_file=True)
    assert [u.problem() for u in found.uses] == ["uses scipy.signal.convolve2d (forbidden by --forbid scipy.signal) "
                                                 "at line 2"]


def test_the_problem_line_names_the_forbidden_name_and_the_line():
    source = "\n" * 11 + "import torch.nn.functional as F; Y = F.conv2d(X, K)\n"
    found = forbid.lint_cells([Cell(source, "m.py", "m.py", 1, False)], FORBIDDEN, python_file=True)
    assert [u.problem() for u in found.uses] == ["uses torch.nn.functional.conv2d (forbidden by --forbid) at line 12"]
    assert found.uses[0].code == "import torch.nn.functional as F; Y = F.conv2d(X, K)"


@pytest.mark.parametrize("source", [
    "def conv2d(X, K):\n    return X\n\nY = conv2d(X, K)\n",  # the learner's own conv2d
    "from torch.nn.functional import conv2d\n\ndef conv2d(X, K):\n    return X\n\n"
    "def corr2d(X, K):\n    return conv2d(X, K)\n\nY = conv2d(X, K)\n",  # theirs hides the import
    "import torch.nn.functional as F\n\ndef corr2d(X, K, F=None):\n    return F.conv2d(X, K)\n",  # a parameter
    "import torch.nn.functional as F\nY = [F.conv2d(X, K) for F in helpers]\n",  # a comprehension's own name
    "import torch.nn.functional as F\nuse = lambda F: F.conv2d(X, K)\n",
    "import mylib as F\nY = F.conv2d(X, K)\n",  # another module's conv2d
    "import torch\nY = layer.conv2d(X)\nZ = self.conv2d(X)\n",
    "import torch\n# Y = torch.nn.functional.conv2d(X, K)\n",  # a comment
    "import torch\nS = 'torch.nn.functional.conv2d(X, K)'\nT = f'{X} torch.nn.Conv2d'\n",  # strings
    'def corr2d(X, K):\n    """Not torch.nn.functional.conv2d: loops."""\n    return X\n',  # a docstring
    "import torch.nn.functional as F\nname = 'conv' + '2d'\nY = getattr(F, name)(X, K)\n",  # built at run time
    "import torch.nn.functional as F\nF = None\nY = F.conv2d\n",  # rebound
])
def test_look_alikes_comments_and_strings_are_not_caught(source):
    assert uses(source) == []


def _notebook(path, *sources):
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_markdown_cell("# corr2d: not torch.nn.functional.conv2d")]
    for count, source in enumerate(sources, 1):
        notebook.cells.append(nbformat.v4.new_code_cell(source, execution_count=count))
    nbformat.write(notebook, str(path))
    return path


def test_a_notebook_reports_the_cell_and_skips_a_cell_that_does_not_parse_with_a_note(tmp_path):
    path = _notebook(tmp_path / "mine.ipynb",
                     "%matplotlib inline\nimport torch.nn.functional as F\n!pip list",
                     "print('starts')\nfor i in range(3)\n    print(i)",
                     "%%time\n\nY = F.conv2d(X, K)\n%timeit F.conv2d(X, K)\nF.conv2d?",
                     "%%bash\nls -l && echo F.conv2d")  # IPython's transformation: a string
    found = forbid.lint([str(path)], ["pytorch"], FORBIDDEN)
    assert [u.problem() for u in found.uses] == [
        "uses torch.nn.functional.conv2d (forbidden by --forbid) at cell 4 (In [3]), line 3",
        "uses torch.nn.functional.conv2d (forbidden by --forbid) at cell 4 (In [3]), line 4"]
    assert found.notes == ["--forbid: cell 3 (In [2]) does not parse as Python (cell 3 (In [2]), line 2: "
                           "expected ':'): not linted"]


CHAPTER = """# Cross-Correlation

```{.python .input}
%load_ext d2lbook.tab
tab.interact_select(['mxnet', 'pytorch', 'tensorflow'])
```

```{.python .input}
%%tab pytorch
import torch
from torch import nn
```

```{.python .input}
%%tab tensorflow
import tensorflow as tf
```

Learning a kernel with the framework's own layer:

```{.python .input}
%%tab pytorch
conv2d = nn.LazyConv2d(1, kernel_size=(1, 2), bias=False)
```

```{.python .input}
%%tab tensorflow
conv2d = tf.keras.layers.Conv2D(1, (1, 2), use_bias=False)
```
"""


def test_a_chapter_reports_the_file_line_of_its_tab_only(tmp_path):
    path = tmp_path / "conv-layer.md"
    path.write_text(CHAPTER)
    declared = {name: backends.declaration(name).check["forbidden"] for name in ("torch", "tensorflow")}
    found = forbid.lint([str(path)], ["pytorch"], declared["torch"])
    assert [u.problem() for u in found.uses] == ["uses torch.nn.LazyConv2d (forbidden by --forbid) at line 23 of "
                                                 "conv-layer.md"]
    found = forbid.lint([str(path)], ["tensorflow"], declared["tensorflow"])
    assert [(u.used, u.written, u.where) for u in found.uses] == [
        ("tensorflow.keras.layers.Conv2D", "tf.keras.layers.Conv2D", "line 28 of conv-layer.md")]


def test_a_students_files_are_one_program_and_each_finding_names_its_file(tmp_path):
    (tmp_path / "a.py").write_text("import torch.nn.functional as F\n")
    (tmp_path / "b.py").write_text("def corr2d(X, K):\n    return F.conv2d(X, K)\n")
    _notebook(tmp_path / "c.ipynb", "Y = F.conv2d(X, K)")
    found = forbid.lint([str(tmp_path / n) for n in ("a.py", "b.py", "c.ipynb")], ["pytorch"], FORBIDDEN)
    assert [u.where for u in found.uses] == ["line 2 of b.py", "c.ipynb cell 2 (In [1]), line 1"]


@pytest.mark.parametrize("name", backends.names())
def test_builtins_is_the_backends_declared_list_of_dotted_names(name):
    declared = backends.declaration(name).check["forbidden"]
    assert declared and forbid.parse("builtins", declared, name) == declared
    assert forbid.parse("builtins,cv2.filter2D,builtins", declared, name) == list(dict.fromkeys(
        declared + ["cv2.filter2D"]))
    assert not any("sliding_window_view" in item for item in declared)  # a view, not a convolution


def test_the_declared_lists_hold_each_frameworks_convolutions():
    declared = {name: set(backends.declaration(name).check["forbidden"]) for name in backends.names()}
    assert {"torch.nn.functional.conv2d", "torch.nn.Conv2d", "torch.conv2d"} <= declared["torch"]
    assert {"tensorflow.nn.conv2d", "tensorflow.nn.convolution", "keras.layers.Conv2D",
            "tensorflow.keras.layers.Conv2D"} <= declared["tensorflow"]
    assert {"mxnet.nd.Convolution", "mxnet.gluon.nn.Conv2D", "mxnet.npx.convolution"} <= declared["mxnet"]
    assert {"jax.lax.conv_general_dilated", "jax.lax.conv", "flax.linen.Conv",
            "jax.scipy.signal.correlate2d"} <= declared["jax"]
    assert {"paddle.nn.functional.conv2d", "paddle.nn.Conv2D"} <= declared["paddle"]
    assert {"scipy.signal.correlate2d", "scipy.signal.convolve2d", "scipy.ndimage.correlate",
            "cv2.filter2D"} <= declared["numpy"]


def test_a_declared_name_that_is_not_dotted_is_a_contract_error(tmp_path, monkeypatch):
    planted = throwaway_backend(tmp_path, monkeypatch, "badforbid")
    toml = (planted if planted.is_dir() else planted.parent) / facts.FACTS
    assert '\n    "numpy.convolve",\n' in toml.read_text()  # the first of its forbidden names
    toml.write_text(toml.read_text().replace('\n    "numpy.convolve",\n', '\n    "convolve",\n', 1))
    backends._cached_declaration.cache_clear()  # read its facts again, as a fresh process would
    with pytest.raises(contract.ContractError, match=re.escape(f"{toml}: check.forbidden holds dotted names")
                       + r" .*'convolve'"):
        backends.declaration("badforbid")


# The command: the lint fails a target whose cases all pass, and the summary records it.
USING = LESSON + "\n\ndef smooth(x):\n    return np.convolve(x, [0.5, 0.5])  # not the lesson's: forbidden\n"


def test_a_forbidden_use_fails_a_target_that_passes_and_the_summary_records_it(tmp_path):
    target = tmp_path / "mine.py"
    target.write_text(USING)
    status, out, err, records = check(target, "--backend", "numpy", summary=tmp_path / "allowed")
    assert status == 0 and records[str(target)]["status"] == "PASS", out + err
    status, out, err, records = check(target, "--backend", "numpy", "--forbid", "builtins",
                                      summary=tmp_path / "forbidden")
    rec = records[str(target)]
    line = USING.splitlines().index("    return np.convolve(x, [0.5, 0.5])  # not the lesson's: forbidden") + 1
    problem = f"uses numpy.convolve (forbidden by --forbid) at line {line}"
    assert status == 1 and rec["status"] == "FAIL" and problem in rec["problems"], out + err
    assert rec["forbidden"] == [{"name": "numpy.convolve", "used": "numpy.convolve", "written": "np.convolve",
                                 "where": f"line {line}", "code": "return np.convolve(x, [0.5, 0.5])  # not the lesson's: "
                                 "forbidden", "problem": problem}]
    assert all(s["passed"] == s["applicable"] for s in rec["subjects"])  # its cases still ran, and passed
    row = next(r for r in (tmp_path / "forbidden" / "summary.md").read_text().splitlines() if str(target) in r)
    assert "| FAIL |" in row and row.endswith(f"| {problem} |"), row
    assert "uses numpy.convolve (--forbid)" in out and problem in out
    assert json.loads((tmp_path / "forbidden" / "summary.json").read_text())["targets"][0]["forbidden"]


@pytest.mark.parametrize("value, words", [
    ("numpy.convolve,,scipy.signal.correlate2d", "an empty item"),
    ("", "an empty item"),
    ("numpy.convolve,", "an empty item"),
    ("convolve", "'convolve': not a dotted name"),
    ("numpy.", "'numpy.': not a dotted name"),
    ("numpy.1convolve", "not a dotted name"),
    ("numpy convolve", "not a dotted name"),
])
def test_a_bad_forbid_value_is_a_usage_error_in_one_line(tmp_path, value, words):
    target = tmp_path / "mine.py"
    target.write_text(LESSON)
    status, out, err, _ = check(target, "--backend", "numpy", "--forbid", value)
    assert status == 2 and words in err and len(err.strip().splitlines()) == 1 and not out, err


def test_help_says_it_is_a_lint_not_a_proof():
    status, out, _, _ = check("--help")
    text = " ".join(out.split())
    assert status == 0 and "a lint of the source, not a proof: code that builds the name at run time escapes it" in text
