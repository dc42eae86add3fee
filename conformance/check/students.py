"""`check --students DIR`: the students of a class, each one target made of all their files.

Each subfolder of DIR is a student, named by the folder; where DIR has no subfolder, each
.py and .ipynb file in it is a student, named by the file (its stem; its whole name where two
files share a stem). A student's code is every .py and .ipynb file directly in their folder,
run in one sandboxed child, one after the other in the order of their names (Python's string
order: "corr2d.py" before "layer.ipynb"), in one namespace, as one program: a `corr2d` in one
file and a `Conv2D` in another are judged together, a file may use what an earlier one
defined, and where two files define the same name the later file's definition is the one
checked (the feedback says so). Every other file of the student's (README.md, data, a
subfolder) is not run: it is listed as ignored in the student's feedback and summary record;
files still sit beside the code in the sandbox, as with any target, so the code may read its
data. Hidden files and folders and caches (__pycache__, .ipynb_checkpoints) are left out
without a word.
"""

import pathlib
from dataclasses import dataclass

from convsuite.conformance.check.child.sources import InputError
from convsuite.conformance.check.targets import SKIPPED_FOLDERS

CODE = (".py", ".ipynb")
NOT_CODE = "not code: only a student's .py and .ipynb files are run"
SUBFOLDER = "a folder: only the files directly in a student's folder are run"


@dataclass(frozen=True)
class Student:
    name: str
    files: tuple  # the code files' paths, in the order they run
    ignored: tuple = ()  # "NAME: why" for each file of the student's that is not run
    others: tuple = ()  # files beside theirs that are other students' (DIR without subfolders)
    function = None  # a student is all their files, never FILE:NAME

    @property
    def label(self):
        return self.name

    @property
    def path(self):
        """The first code file: the child's target, the others beside it (None: no code)."""
        return self.files[0] if self.files else None

    @property
    def names(self):
        return [pathlib.Path(f).name for f in self.files]


def _visible(path):
    return not path.name.startswith(".") and path.name not in SKIPPED_FOLDERS


def _folder_student(folder):
    code, ignored = [], []
    for path in sorted(folder.iterdir(), key=lambda p: p.name):
        if not _visible(path) or path.is_symlink():
            continue
        if path.is_dir():
            ignored.append(f"{path.name}/: {SUBFOLDER}")
        elif path.suffix.lower() in CODE:
            code.append(str(path))
        else:
            ignored.append(f"{path.name}: {NOT_CODE}")
    return Student(folder.name, tuple(code), tuple(ignored))


def expand(folder):
    """(students sorted by name, notes on DIR's own files that belong to no student);
    InputError (exit status 2) where DIR is no folder or holds no student."""
    top = pathlib.Path(folder)
    if not top.is_dir():
        raise InputError(f"--students {folder}: not a folder")
    entries = [p for p in sorted(top.iterdir(), key=lambda p: p.name) if _visible(p) and not p.is_symlink()]
    folders = [p for p in entries if p.is_dir()]
    loose = [p for p in entries if p.is_file()]
    notes = []
    if folders:
        students = [_folder_student(p) for p in folders]
        notes = [f"{p}: not in a student's folder: ignored" for p in loose]
    else:
        code = [p for p in loose if p.suffix.lower() in CODE]
        stems = [p.stem for p in code]
        students = [Student(p.stem if stems.count(p.stem) == 1 else p.name, (str(p),),
                            others=tuple(str(o) for o in code if o != p)) for p in code]
        notes = [f"{p}: {NOT_CODE}: ignored" for p in loose if p not in code]
    if not students:
        raise InputError(f"--students {folder}: no student in it (a subfolder per student, or their .py and "
                         ".ipynb files)")
    return sorted(students, key=lambda s: s.name), notes
