"""Batch turns from a JSONL file: bad rows are reported and skipped, never fatal."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from josi._errors import ContractError, GrammarError, JosiError, ModelFileError
from josi._io import atomic_write_jsonl
from josi.contracts import context_errors
from josi.runtime._runtime import JosiRuntime


@dataclass(frozen=True)
class BatchSummary:
    rows: int
    succeeded: int
    skipped: int
    wall_s: float

    @property
    def cases_per_min(self) -> float:
        return 60.0 * self.succeeded / self.wall_s if self.wall_s > 0 else 0.0


@dataclass(frozen=True)
class Case:
    id: str
    message: str
    context: dict[str, Any]
    history: list[dict[str, Any]] | None


def _check_history(history: Any) -> list[dict[str, Any]] | None:
    if history is None:
        return None
    if not isinstance(history, list):
        raise ContractError("history must be a list of {role, message} turns")
    for i, turn in enumerate(history):
        if not isinstance(turn, dict) or turn.get("role") not in ("user", "assistant"):
            raise ContractError(f"history[{i}] needs role 'user' or 'assistant'")
        text = turn.get("message", turn.get("content"))
        if not isinstance(text, str) or not text.strip():
            raise ContractError(f"history[{i}] needs a non-empty message")
    return history


def parse_case(row: Any, default_id: str) -> Case:
    """A validated case from one input row; ContractError says what is wrong."""
    if not isinstance(row, dict):
        raise ContractError(f"expected a JSON object, got {type(row).__name__}")
    message = row.get("message")
    if not isinstance(message, str) or not message.strip():
        raise ContractError("'message' must be a non-empty string")
    context = row.get("context")
    if not isinstance(context, dict):
        raise ContractError("'context' must be a ChatContext object")
    errors = context_errors(context)
    if errors:
        raise ContractError("context is not a valid ChatContext: " + "; ".join(errors[:3]))
    case_id = row.get("id", default_id)
    if not isinstance(case_id, (str, int)) or isinstance(case_id, bool):
        raise ContractError("'id' must be a string or an integer")
    return Case(str(case_id), message, context, _check_history(row.get("history")))


def read_cases(path: Path, report: Callable[[str], None]) -> Iterator[Case]:
    """Cases from a JSONL file; unreadable or invalid lines are reported and skipped."""
    with open(path, encoding="utf-8", errors="replace") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                report(f"{path}:{number}: skipped, not valid JSON ({exc.msg})")
                continue
            try:
                yield parse_case(row, default_id=f"line-{number}")
            except ContractError as exc:
                report(f"{path}:{number}: skipped, {exc}")


def run_batch(
    runtime: JosiRuntime,
    input_path: str | os.PathLike[str],
    output_path: str | os.PathLike[str],
    *,
    report: Callable[[str], None],
    limit: int | None = None,
) -> BatchSummary:
    """Run every valid case; write one result row per success (atomically, at the end)."""
    input_path, output_path = Path(input_path), Path(output_path)
    if not input_path.is_file():
        raise ContractError(f"input file not found: {input_path}")
    results: list[dict[str, Any]] = []
    attempted = skipped = 0
    start = time.perf_counter()

    def counting_report(message: str) -> None:
        nonlocal skipped
        skipped += 1
        report(message)

    for case in read_cases(input_path, counting_report):
        if limit is not None and attempted >= limit:
            break
        attempted += 1
        try:
            result = runtime.turn(case.context, case.message, case.history)
        except (GrammarError, ModelFileError):
            raise
        except JosiError as exc:
            counting_report(f"{input_path}: case {case.id!r} skipped, {exc}")
            continue
        results.append({"id": case.id, "message": case.message, **result.to_dict()})
    atomic_write_jsonl(output_path, results)
    return BatchSummary(rows=len(results) + skipped, succeeded=len(results), skipped=skipped,
                        wall_s=time.perf_counter() - start)
