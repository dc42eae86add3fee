"""Which built-in cases each function or class of a target takes, and why the others do not.

A role takes the cases of its op on its rank pairing (`roles.ROLES`). Geometry follows the
signature: a function with a ``padding``, ``stride``, ``dilation``, ``groups`` or
``padding_mode`` parameter gets the cases with that geometry, each value in the lesson's form
(an int where both axes agree, else an (h, w) tuple; groups an int, the padding mode its
name), and gets it passed where the case has none too (padding 0, stride 1, groups 1; the
padding mode "zeros" only to a parameter without a default, since a learner's own default may
spell it otherwise); one without the parameter does not get the cases that need it;
asymmetric padding goes only to a function that could take it (none of the lesson's forms
can: they take one padding per axis). Only lesson-sized cases run: the suite's large cases
exist for its own fast paths. A case the float64 reference cannot compute is given to no
target. Every case of the op that does not run is listed with its reason, and never counted;
nothing about one case stops the plan.
"""

import dataclasses
import functools
import json
from collections.abc import Sequence
from typing import Any

import numpy as np

from convsuite.conformance.check.child.protocol import encode_array
from convsuite.conformance.check.child.roles import ROLES, learn_arguments
from convsuite.conformance.check.sandbox.messages import Parameter, Subject
from convsuite.conformance.check.sandbox.supervise import Call, CallInstruction, NotApplicable
from convsuite.conformance.harness.results import decode
from convsuite.conformance.harness.runner import run_case
from convsuite.spec import cases, reference, shapes

RawCase = dict[str, Any]  # a case as its cases file holds it

# id(raw case) -> (raw, parsed case or the exception): every target plans the same cases
_PARSED: dict[int, tuple[RawCase, cases.Case | Exception]] = {}


def parsed(raw: RawCase) -> cases.Case:
    """spec.cases.parse(raw), once per case object (raises what it raised)."""
    if id(raw) not in _PARSED:
        try:
            _PARSED[id(raw)] = (raw, cases.parse(raw))
        except Exception as exc:
            _PARSED[id(raw)] = (raw, exc)
    result = _PARSED[id(raw)][1]
    if isinstance(result, Exception):
        raise result
    return result


# A lesson-sized case: at most this many multiply-adds (over all steps of a learning loop,
# each step a forward pass and the kernel's gradient), and no array above the suite's own
# lesson size (`spec.cases.is_large`): the lesson's loops cost a Python step per output.
LESSON_SIZE = 200_000
# The geometry keywords a learner's signature may take (the lesson's API spells out what the
# suite's passes as one Geometry), in its order: the child's `roles.GEOMETRY` passes through
# whatever the parent plans, groups and padding mode included. DEFAULTS: each as a case's
# resolved geometry holds it where the case gives none.
GEOMETRY = tuple(f.name for f in dataclasses.fields(shapes.Geometry))
DEFAULTS = {"padding": ((0, 0), (0, 0)), "stride": (1, 1), "dilation": (1, 1), "groups": 1,
            "padding_mode": "zeros"}


@functools.lru_cache(maxsize=None)
def _reference_result(raw_json: str) -> dict[str, Any]:
    return dict(run_case(reference, json.loads(raw_json)))


def expected(raw: RawCase) -> dict[str, Any]:
    """The float64 reference's result of a raw case, its array fields as float64 arrays, or
    {"error": {...}} where the reference raises (computed once per case, for every target)."""
    result = _reference_result(json.dumps(raw, sort_keys=True))
    return {name: value if name in ("id", "error") else decode(value) for name, value in result.items()}


def _pair_form(pair: Sequence[int]) -> int | list[int]:
    return int(pair[0]) if pair[0] == pair[1] else [int(pair[0]), int(pair[1])]


def lesson_form(name: str, value: Any) -> Any:
    """A normalized geometry value as the lesson writes it; None where it cannot (asymmetric)."""
    if name in ("groups", "padding_mode"):
        return value
    if name == "padding":
        (top, bottom), (left, right) = value
        return _pair_form((top, left)) if top == bottom and left == right else None
    return _pair_form(value)


def _signature(subject: Subject) -> str:
    return f"{subject['name']}({', '.join(p['name'] for p in subject['params'])})"


def _shape(shape: Sequence[int]) -> str:
    return "x".join(map(str, shape))


def kernel_of(case: cases.Case) -> np.ndarray:
    """The case's kernel: K, a layer's weight, or a learning loop's K_init."""
    return next(case.inputs[name] for name in ("K", "weight", "K_init") if name in case.inputs)


def describe_inputs(case: cases.Case) -> str:
    """A case's inputs in words: shapes and the geometry it has."""
    kernel = kernel_of(case)
    words = [f"X {_shape(case.inputs['X'].shape)}", f"K {_shape(kernel.shape)}"]
    for name in GEOMETRY:
        value = getattr(case.geometry, name)
        if value != DEFAULTS[name]:
            form = lesson_form(name, value)
            words.append(f"{name} {form if form is not None else [list(v) for v in value]}")
    if case.op == "layer" or (case.op == "learn" and np.any(case.inputs["bias"])):
        words.append(f"bias {np.asarray(case.inputs['bias']).tolist()}")
    if case.op == "learn":
        words.append(f"lr {case.inputs['lr']:g}, {case.inputs['steps']} steps"
                     + (", learning the bias" if case.inputs["learn_bias"] else ""))
    return ", ".join(words + ([case.dtype] if case.dtype != "float32" else []))


def _work(case: cases.Case) -> int:
    """Multiply-adds: a learning step computes the forward pass and the kernel's gradient,
    each as many as the forward pass alone."""
    g = case.geometry
    work = int(np.prod(g.out4)) * int(np.prod(g.k4[1:]))
    return work * (2 * case.inputs["steps"] if case.op == "learn" else 1)


LARGE = f"are large (an array over {cases.LESSON_ELEMENTS:,} elements, or over {LESSON_SIZE:,} multiply-adds): " \
        "they exist for the suite's fast paths"


def _size(raw: RawCase, case: cases.Case) -> str | None:
    """Why a case is too large for the lesson's forms, or None."""
    if cases.is_large(raw):
        biggest = max((case.inputs[f] for f in cases.ARRAY_FIELDS if isinstance(case.inputs.get(f), np.ndarray)),
                      key=np.size)
        return f"an array of {biggest.size:,} elements ({_shape(biggest.shape)})"
    if _work(case) > LESSON_SIZE:
        return f"{_work(case):,} multiply-adds" + (" (forward and gradient, every step)" if case.op == "learn" else "")
    return None


def why_not(raw: RawCase, subject: Subject, parameters: set[str]) -> tuple[str, str] | None:
    """(group, reason) for a case of the subject's op that it does not take, or None: the
    group says it for every case alike (the summary counts them), the reason for this one."""
    role, name, signature = ROLES[subject["role"]], subject["name"], _signature(subject)
    expect = raw.get("expect")
    if isinstance(expect, dict) and "error" in expect:
        return ("expect an input error: rejecting bad input is the suite's contract (spec/contract.py), "
                "not the lesson's", f"expects {expect['error']}")
    try:
        case = parsed(raw)
    except Exception as exc:
        return "are not valid cases", f"{type(exc).__name__}: {exc}"
    kernel = kernel_of(case)
    pairing = (case.inputs["X"].ndim, kernel.ndim)
    if pairing != role.pairing:
        what = "are batches (X of rank 4)" if pairing[0] == 4 else f"pair X of rank {pairing[0]} with K of rank {pairing[1]}"
        return (f"{what}: {name} is checked as {role.name} ({role.what})",
                f"X {_shape(case.inputs['X'].shape)}, K {_shape(kernel.shape)}")
    if role.one_by_one and kernel.shape[-2:] != (1, 1):
        return f"have larger kernels: {name} takes 1x1 kernels", f"a {_shape(kernel.shape[-2:])} kernel"
    for geometry in GEOMETRY:
        value = getattr(case.geometry, geometry)
        if value == DEFAULTS[geometry]:
            continue
        form = lesson_form(geometry, value)
        shown = form if form is not None else [list(v) for v in value]
        if geometry not in parameters:
            return f"take {geometry}: {signature} has no {geometry} parameter", f"{geometry} {shown}"
        if form is None:
            return f"pad asymmetrically: {name} takes one padding per axis", f"padding {shown}"
    if case.op == "learn":
        if case.inputs["learn_bias"] and "learn_bias" not in parameters:
            return f"learn the bias: {signature} has no learn_bias parameter", "learn_bias true"
        if np.any(case.inputs["bias"]) and "bias" not in parameters:
            return f"start from a bias: {signature} has no bias parameter", f"bias {case.inputs['bias'].tolist()}"
    size = _size(raw, case)
    if size:
        return LARGE, size
    reference_result = expected(raw)  # last: the large cases are never computed here
    if "error" in reference_result:
        error = reference_result["error"]
        return ("are cases the float64 reference cannot compute (broken cases): no target is judged on them",
                f"the reference raised {error['type']}: {error['message']}")
    return None


def _why_not_safely(raw: RawCase, subject: Subject, parameters: set[str]) -> tuple[str, str] | None:
    """`why_not`, where anything unforeseen about one case leaves that case out, named."""
    try:
        return why_not(raw, subject, parameters)
    except Exception as exc:
        return "could not be planned", f"{type(exc).__name__}: {exc}"


Plan = tuple[list[Call], list[NotApplicable]]
_PLANS: dict[tuple[str, int], Plan] = {}


def plan(subjects: list[Subject], raw_cases: Sequence[RawCase]) -> Plan:
    """`plan_of`, once per set of subjects (a class's submissions define the same ones)."""
    key = (json.dumps(subjects, sort_keys=True), id(raw_cases))
    if key not in _PLANS:
        _PLANS[key] = plan_of(subjects, raw_cases)
    return _PLANS[key]


def plan_of(subjects: list[Subject], raw_cases: Sequence[RawCase]) -> Plan:
    """(calls, not_applicable): one call per (subject, case) that applies, in order; one
    {"subject", "case", "group", "reason"} per case of the subject's op that does not."""
    calls: list[Call] = []
    not_applicable: list[NotApplicable] = []
    for subject in subjects:
        role = ROLES[subject["role"]]
        names = [p["name"] for p in subject["params"]]
        arguments = learn_arguments(names) if role.op == "learn" else None
        parameters = set(arguments or ()) | set(names)
        for raw in raw_cases:
            if raw.get("op") != role.op:
                continue
            reason = _why_not_safely(raw, subject, parameters)
            if reason:
                not_applicable.append({"subject": subject["name"], "case": raw["id"], "group": reason[0],
                                       "reason": reason[1]})
                continue
            case = parsed(raw)
            message: CallInstruction = {"i": len(calls), "subject": subject["name"], "op": case.op,
                                        "inputs": child_inputs(case),
                                        "geometry": passed_geometry(case, subject["params"])}
            if arguments:
                message["arguments"] = arguments
            calls.append(Call(i=len(calls), subject=subject["name"], role=role.name, case=raw, message=message))
    return calls, not_applicable


def passed_geometry(case: cases.Case, params: list[Parameter]) -> dict[str, Any]:
    """The geometry arguments a call passes: every one the signature has, in the lesson's
    form, except a default padding mode to a parameter with a default of its own."""
    given = {p["name"]: p for p in params}
    left_to_default = "padding_mode" in given and given["padding_mode"]["default"] and \
        case.geometry.padding_mode == DEFAULTS["padding_mode"]
    return {name: lesson_form(name, getattr(case.geometry, name)) for name in GEOMETRY
            if name in given and not (name == "padding_mode" and left_to_default)}


def child_inputs(case: cases.Case) -> dict[str, Any]:
    """The case's inputs as the child receives them: arrays as bytes, numbers as numbers; no
    expected value, tolerance or case id, and no Geometry value (its settings go in the
    lesson's form, `passed_geometry`)."""
    return {name: encode_array(value) if isinstance(value, np.ndarray) else
            value.item() if isinstance(value, np.generic) else value for name, value in case.inputs.items()
            if name != "geometry"}

