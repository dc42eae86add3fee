"""Every status a judged case can have, in one enum: `compare`'s cells, the fuzzer's
findings and `check`'s verdicts all use it. A StrEnum, so each is the same string in a
results file, a verdicts file and the report as before."""

from enum import StrEnum


class Status(StrEnum):
    AGREE = "agree"  # within the tolerance of the reference (and of the expect)
    PASS = "pass"  # a learner's result that agrees (check's word for AGREE in its verdicts)
    FAIL = "fail"
    RAISES = "raises"  # the expected exception, the same as the reference's
    KNOWN = "known"  # a documented framework difference (spec.differences)
    NOT_APPLICABLE = "not-applicable"  # the path does not compute the op
    SKIPPED = "skipped"  # the backend could not run: reported, never counted as passed
    MISSING = "missing"  # no result where one was due: a failure
    UNCHECKED = "unchecked"  # the reference, where the case has no expect
    ERROR = "error"  # the code under judgement raised where the reference did not
    NOT_RUN = "not-run"  # never reached (an earlier failure, a deadline)
    # check's verdicts on a call whose child the supervisor stopped (sandbox.supervise's events)
    HANG = "hang"  # past its time limit
    CRASH = "crash"  # the child died (a signal, os._exit, a fatal error)
    MEMORY = "memory"  # past the memory limit
    PROCESSES = "processes"  # past the process-count limit
