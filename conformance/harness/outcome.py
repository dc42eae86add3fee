"""What `compare` finds, as data: a cell per case and column, a failure per problem, a
record per documented difference met. The table, the report and the fuzzer read these
fields; each renders them in its own words (`str()` gives the sentence the table prints).
"""

from dataclasses import dataclass, field
from typing import Literal

from convsuite.conformance.harness.results import ErrorInfo
from convsuite.conformance.harness.status import Status

# What a failure was judged against, or how it failed (see `Failure`).
FailureKind = Literal["reference", "expect", "pair", "raised", "no-field", "missing", "unknown-case", "broken-case"]
# The statuses of a cell whose error was measured.
JUDGED = (Status.AGREE, Status.FAIL, Status.RAISES)


@dataclass(frozen=True)
class Cell:
    """One case in one column of the matrix.

    kind: AGREE (within the tolerance), FAIL, RAISES (the expected exception, the same as
    the reference's), KNOWN (a documented difference), NOT_APPLICABLE (the path does not
    compute the op), SKIPPED (the backend could not run), MISSING (no result: a failure),
    UNCHECKED (the reference where the case has no expect)."""

    kind: Status
    error: float | None = None  # max |error| against the reference (or the expect)
    ratio: float | None = None  # max |error| / tolerance; inf where shapes or NaNs differ
    raised: str | None = None  # the exception type, where the result is an error

    @property
    def ok(self) -> bool | None:
        """True where it agrees, False where it fails, None where nothing was judged."""
        if self.kind in (Status.FAIL, Status.MISSING):
            return False
        return True if self.kind in (Status.AGREE, Status.RAISES) else None

    @property
    def text(self) -> str:
        if self.kind == Status.MISSING:
            return "missing FAIL"
        if self.kind in (Status.KNOWN, Status.SKIPPED):
            return str(self.kind)
        if self.kind == Status.NOT_APPLICABLE:
            return "-"
        value = self.raised or ("0" if not self.error else f"{self.error:.1e}")
        return f"{value} FAIL" if self.kind == Status.FAIL else value


@dataclass(frozen=True)
class Mismatch:
    """Where one field of a result departs from its target: the worst element, or a shape."""

    field: str
    element: tuple[int, ...] | None = None  # index of the worst element; None for a shape mismatch
    got: float | None = None
    want: float | None = None
    error: float | None = None  # |got - want|; None where NaN differs
    tolerance: float | None = None
    shape: tuple[tuple[int, ...], tuple[int, ...]] | None = None  # (got, want) shapes when they differ

    def __str__(self) -> str:
        if self.shape:
            return f"{self.field} shape {self.shape[0]}, expected {self.shape[1]}"
        where = f"{self.field} element {list(self.element or ())} is {self.got!r}, expected {self.want!r}"
        return where if self.error is None else f"{where}: |diff| {self.error:.3g} > tolerance {self.tolerance:.3g}"


@dataclass(frozen=True)
class Failure:
    """One disagreement. kind: "reference" (against the float64 reference), "expect"
    (against the case's expect), "pair" (two backends that each passed disagree),
    "raised" (one side raised, the other did not, or other types), "no-field", "missing"
    (no result), "unknown-case" (a result for a case that is not there), "broken-case"
    (the reference raises on a case that does not expect an error)."""

    kind: FailureKind
    backend: str  # the column; "reference" where the reference misses the case's expect
    case: str
    against: str = ""  # "the reference", "the case's expect", or the other backend's column
    mismatch: Mismatch | None = None
    error: ErrorInfo | None = None  # {"type", "message"} of a result that raised
    detail: str = ""  # the exception types, for "raised"

    @property
    def problem(self) -> str:
        if self.kind == "missing":
            return "no result"
        if self.kind == "no-field":
            return f"has no {self.detail!r}"
        if self.kind == "raised" and self.error is not None:
            return f"raised {self.error['type']}: {self.error['message']} ({self.against} does not)"
        if self.kind == "raised":
            return f"raised {self.detail}"
        return f"{self.mismatch} (against {self.against})"

    def __str__(self) -> str:
        if self.kind == "broken-case" and self.error is not None:
            return (f"case {self.case} is broken: the reference raises {self.error['type']}: "
                    f"{self.error['message']}; a case that means it declares "
                    f'"expect": {{"error": "{self.error["type"]}"}}')
        if self.kind == "unknown-case":
            return f"backend {self.backend}: result for unknown case {self.case!r}"
        if self.kind == "pair":
            return f"backends {self.against} and {self.backend} disagree, case {self.case}: {self.backend} {self.problem}"
        who = "reference" if self.backend == "reference" else f"backend {self.backend}"
        return f"{who}, case {self.case}: {self.problem}"


@dataclass(frozen=True)
class Known:
    """A documented framework difference (spec/differences.py) met: never a plain pass."""

    backend: str
    case: str
    name: str
    why: str

    def __str__(self) -> str:
        return f"backend {self.backend}, case {self.case}: {self.name}: {self.why}"


@dataclass
class Outcome:
    backends: list[str]  # the matrix's columns: the reference, then each backend's paths
    case_ids: list[str]
    cells: dict[tuple[str, str], Cell] = field(default_factory=dict)  # (case_id, column) -> Cell
    failures: list[Failure] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)  # backend -> reason
    known: list[Known] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures

    @property
    def ratios(self) -> dict[tuple[str, str], float | None]:
        """(case_id, column) -> max |error| / tolerance of the cells judged (None where both raise)."""
        return {key: cell.ratio for key, cell in self.cells.items() if cell.kind in JUDGED}

    def failing_cases(self) -> set[str]:
        return {failure.case for failure in self.failures}
