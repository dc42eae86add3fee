"""What judging passes around: a call's `Verdict` (judge.py makes it), and the plain data a
target's record keeps of it (summary.py; records are JSON, so that shards merge to the same
bytes, and grades.py reads them back from summary files).

A verdict's status is one of `Status`: PASS, FAIL, ERROR (the code raised), KNOWN (a
documented framework difference), NOT_RUN, or what stopped the call's child (HANG, CRASH,
MEMORY, PROCESSES).
"""

from dataclasses import dataclass
from typing import NotRequired, TypedDict

from convsuite.conformance.check.sandbox.supervise import NotApplicable
from convsuite.conformance.harness.status import Status

# A verdict that is neither a failure nor counted against its function.
PASSING = (Status.PASS, Status.KNOWN)


class ShownRow(TypedDict):
    field: str
    expected: str
    actual: str | None
    largest_error: str | None


class Shown(TypedDict):
    """A function's first failing case in full, for its student's feedback (grades.annotate)."""
    inputs: dict[str, str]
    outputs: list[ShownRow]
    error: NotRequired[str]  # why it could not be shown


class VerdictRecord(TypedDict):
    """A verdict as a target's record holds it (its failures)."""
    subject: str
    role: str
    case: str
    inputs: str
    status: str
    detail: str
    hint: str | None
    notes: list[str]
    kind: str | None
    shown: NotRequired[Shown]  # a graded student's first failure


@dataclass(frozen=True)
class Verdict:
    """One call's verdict: the subject (function or class) of the target, the case, the case's
    inputs in words; `kind` names the failure for grouping ("with wrong Y values"), `detail`
    says it for this case, `hint` the likely mistake; `notes` what was accepted on the way."""

    subject: str
    role: str
    case: str
    inputs: str
    status: Status = Status.PASS
    detail: str = ""
    hint: str | None = None
    notes: tuple[str, ...] = ()
    kind: str | None = None

    @property
    def passed(self) -> bool:
        return self.status in PASSING

    def as_record(self) -> VerdictRecord:
        return {"subject": self.subject, "role": self.role, "case": self.case, "inputs": self.inputs,
                "status": self.status.value, "detail": self.detail, "hint": self.hint, "notes": list(self.notes),
                "kind": self.kind}


class CaseRecord(TypedDict):
    case: str
    status: str
    kind: str | None


class SubjectRecord(TypedDict):
    """A subject's verdicts, as a target's record holds them (summary.record)."""
    name: str
    role: str
    found: str
    applicable: int
    passed: int
    statuses: dict[str, int]
    first_failure: VerdictRecord | None
    failures: list[VerdictRecord]
    cases: list[CaseRecord]
    notes: list[str]
    not_applicable: int
    not_applicable_groups: dict[str, int]
    not_applicable_cases: list[NotApplicable]
