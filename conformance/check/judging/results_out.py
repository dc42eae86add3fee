"""--out: an ordinary results file per target, which `compare` and `report` read beside the
suite's own backends.

Its backend is named after the target and the framework ("seed.ipynb@torch"); its results
hold, per built-in case, what the target's function of that case's role returned (the first
function that took the case), the exception it raised (hangs and crashes as the exception
types "Hang" and "Crash"), or ``{"not_applicable": reason}`` where no function of the target
takes the case, which `compare` shows as not applicable, never as missing.
"""

import pathlib
from collections.abc import Sequence
from typing import Any, cast

from convsuite.conformance.check.judging.summary import TargetRecord
from convsuite.conformance.check.sandbox.messages import ResultMessage
from convsuite.conformance.check.sandbox.supervise import Call, CallEvent, Run
from convsuite.conformance.harness import results


def _entry(call: Call, result: ResultMessage | CallEvent | None) -> results.Result:
    case_id = call.case["id"]
    if result is None:
        return {"id": case_id, "error": {"type": "NotRun", "message": "not run: the target's run ended first"}}
    if "event" in result:
        kind = {"hang": "Hang", "crash": "Crash", "memory": "MemoryLimit"}.get(result["event"]["kind"], "NotRun")
        return {"id": case_id, "error": {"type": kind, "message": result["event"]["detail"]}}
    if "error" in result:
        return {"id": case_id, "error": {"type": result["error"]["type"], "message": result["error"]["message"]}}
    outputs = {field: value["values"] for field, value in result.get("outputs", {}).items() if "values" in value}
    if not outputs:
        return {"id": case_id, "error": {"type": "NoResult", "message": "the layer gave no output"}}
    return cast(results.Result, {"id": case_id, **outputs})  # the case's output fields


def document(run: Run, raw_cases: Sequence[dict[str, Any]]) -> results.Runs:
    chosen: dict[str, results.Result] = {}
    for call in run.calls:
        chosen.setdefault(call.case["id"], _entry(call, run.results.get(call.i)))
    reasons: dict[str, str] = {}
    for skipped in run.not_applicable:
        reasons.setdefault(skipped["case"], f"{skipped['subject']}: {skipped['reason']} ({skipped['group']})")
    entries = [chosen.get(raw["id"]) or {"id": raw["id"], "not_applicable": reasons.get(
        raw["id"], "no function or class of the target takes this op")} for raw in raw_cases]
    return {"results": entries}


def name_of(rec: TargetRecord) -> str:
    return f"{pathlib.Path(rec['target'].split(':')[0]).name}@{rec['backend']}"


def write(out: str | pathlib.Path, rec: TargetRecord, run: Run, *, raw_cases: Sequence[dict[str, Any]],
          case_files: Sequence[str | pathlib.Path], count: int) -> pathlib.Path:
    """Write `rec`'s results file: `out` itself for one target named *.json, else out/NAME.json."""
    path = pathlib.Path(out)
    if count > 1 or path.suffix != ".json":
        path = path / f"{name_of(rec)}.json"
    versions = {"framework": "?", **rec.get("versions", {}), "target": rec["target"]}
    if rec["status"] == "ERROR":
        results.write(path, name_of(rec), versions=versions, case_files=case_files, skipped=rec["error"])
    else:
        results.write(path, name_of(rec), versions=versions, case_files=case_files,
                      runs=document(run, raw_cases))
    return path
