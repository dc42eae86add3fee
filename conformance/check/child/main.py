"""The child: the only process that runs the user's code, inside the sandbox.

It sees only this package and its framework's adapter (`backends/NAME/tensors.py`), mounted read-only
(`conformance.check.sandbox.launch`): never the suite's reference, cases, tolerances or
judge. It reads its job on the control pipe, reads the target's cells (`sources`; a student's
files, `check --students`, one after the other in the order given, as one program), runs them
(`execute`), finds the functions and classes to check (`roles`) and the learning scripts
(`scripts`), reports them, receives the calls the parent planned (each with its inputs as
arrays) and runs them one by one (`calls`), announcing each before it starts, so that the
parent can tell which case hung or crashed it. It sends back what came out, as plain data;
the parent judges it. It writes only to the message pipe; the user's prints go to stdout and
stderr, which the parent drains.
"""

import dataclasses
import faulthandler
import importlib
import inspect
import os
import sys

from . import calls, execute, roles, scripts, sources, steps
from .protocol import Channel

FRAMEWORK = "_check_framework"  # the adapter's module name in the sandbox


def _to_tensor(framework):
    adapt = getattr(framework, "foreign_input", lambda tensor: tensor)
    return lambda array: adapt(framework.asarray(array))


def _chapter_tab(namespace, tab):
    """d2lbook's `tab` module, set to the chosen tab, for the cells' tab.selected(...)."""
    from d2lbook import tab as tab_module

    tab_module._TAB = tab
    namespace["tab"] = tab_module


def _files(job, path):
    """[(file name, its cells)], and the chapter tab: the target's, or a student's files
    (job["files"], beside it), read in the order given, a notebook's cells named with its file."""
    names = job.get("files") or []
    if not names:
        cells, tab = sources.read(path, job["tabs"])
        return [(os.path.basename(path), cells)], tab
    groups = []
    for name in names:
        cells, _ = sources.read(os.path.join(os.path.dirname(path), name), job["tabs"])
        groups.append((name, [c if c.label == name else dataclasses.replace(c, label=f"{name} {c.label}")
                              for c in cells]))
    return groups, None


def _defined_twice(shell, groups, ran):
    """{name: [file, ...]} of the functions and classes that more than one of a student's
    files defined (each file's definitions looked at after it ran: `ran` runs one file)."""
    definers = {}
    for name, cells in groups:
        ran(name, cells)
        if len(groups) == 1:
            break
        filenames = {cell.filename for cell in cells}
        for key, obj in list(shell.user_ns.items()):
            try:
                if (inspect.isfunction(obj) or inspect.isclass(obj)) and roles._defined_in(obj, filenames):
                    definers.setdefault(key, []).append(name)
            except Exception:  # the user's odd object (a cyclic __wrapped__): no note about it
                continue
    return {key: files for key, files in definers.items() if len(files) > 1}


def _load(job, channel, framework):
    path = os.path.abspath(job["target"])
    try:
        groups, tab = _files(job, path)
    except sources.InputError as exc:
        channel.send("input-error", message=str(exc))
        return None, None
    cells = [cell for _, group in groups for cell in group]
    shell = execute.shell_for(channel, tab, path, cells=cells, prefix="check-ipython-")
    folder = os.path.dirname(path)
    if tab:
        _chapter_tab(shell.user_ns, tab)
    skip = set(job.get("skip_cells", ()))
    adapted, errors, starts, count = [], [], {}, 0
    for name, group in groups:  # each file's first cell: its index among all the cells
        starts[name], count = count, count + len(group)

    def ran(name, group):
        offset = starts[name]
        shell.user_ns["__file__"] = os.path.join(folder, name)
        errors.extend((offset + index, error) for index, error in execute.run_cells(
            shell, group, skip={index - offset for index in skip},
            started=lambda index: channel.send("cell", index=offset + index), notes=adapted))

    twice = _defined_twice(shell, groups, ran)
    for index, error in errors:
        channel.send("cell-error", index=index, error=error)
    filenames = {cell.filename for cell in cells}
    mapping = job.get("mapping", {})
    subjects, notes = roles.discover(shell.user_ns, filenames, mapping=mapping, only=job.get("function"))
    notes += [f"{s['name']} is defined in {' and '.join(twice[s['name']])}: the last one's is checked (a student's "
              "files run in the order of their names, as one program)" for s in subjects if s["name"] in twice]
    wanted = [job.get("function"), *mapping, *job.get("require", ())]
    missing = [name for name in dict.fromkeys(wanted) if name and name not in shell.user_ns]
    python_of = lambda cell: execute.as_python(shell, cell, [])  # noqa: E731
    channel.send("loaded", subjects=subjects, notes=adapted + notes, missing=missing, versions=framework.versions(),
                 loops=scripts.find([c for i, c in enumerate(cells) if i not in skip], python_of,
                                    job.get("training_calls", ())))
    return shell, {cell.filename: cell for cell in cells}


def _framework(channel):
    """The framework's adapter; None, said to the parent, where this environment lacks it."""
    try:
        return importlib.import_module(FRAMEWORK)
    except ImportError as exc:
        channel.send("environment-error", module=str(getattr(exc, "name", None) or "?"), message=str(exc))
        return None


def work(channel):
    """Run one job: the first instruction on the control pipe."""
    faulthandler.enable(file=sys.__stderr__)  # a segfault's Python traceback, for the parent
    job = channel.receive()
    framework = _framework(channel)
    if framework is None:
        return
    if job.get("mode") == "tabs":  # `tabs`: a chapter tab's cells and what each shows
        return steps.work(job, channel, framework)
    if hasattr(framework, "seed"):
        framework.seed(0)
    to_tensor = _to_tensor(framework)
    shell, cells = _load(job, channel, framework)
    if shell is None:
        return
    plan = channel.receive()
    for call in plan["calls"]:
        channel.send("start", i=call["i"])
        try:
            outputs, extra = calls.run(call, shell.user_ns, backend=framework, to_tensor=to_tensor)
            channel.send("result", i=call["i"], outputs=outputs, extra=extra)
        except BaseException as exc:  # the user's exception, SystemExit included, is the result
            channel.send("result", i=call["i"], error=execute.describe(exc, cells))
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
    channel.send("done")


def main(token, message_fd, control_fd):
    """Run the job, then leave without running the user's exit handlers."""
    status = 0
    try:
        work(Channel(token, message_fd, control_fd))
    except BaseException:  # check's own failure (or a broken pipe to the parent): its traceback
        import traceback

        traceback.print_exc(file=sys.__stderr__)
        status = 70
    finally:
        try:
            sys.stdout.flush()
            sys.stderr.flush()
        except Exception:
            pass
        os._exit(status)


def boot():
    """`python -c` entry: python -c BOOT TOKEN MESSAGE_FD CONTROL_FD."""
    token, message_fd, control_fd = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    main(token, message_fd, control_fd)
