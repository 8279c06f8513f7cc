"""Batch turns from a JSONL file: bad rows are reported and skipped, never fatal.

Every finished case is appended (flushed and synced) to ``<output>.partial``, which
replaces the output only at the end: a killed run keeps its finished cases, and
``resume`` continues it. An existing output is never touched before there is a
complete result to replace it with.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from josi._errors import ConfigError, ContractError, GrammarError, JosiError, ModelFileError
from josi._io import decode_utf8, decode_utf8_replacing, jsonl_line
from josi.contracts import context_errors
from josi.runtime._config import manifest_path
from josi.runtime._runtime import JosiRuntime

if TYPE_CHECKING:
    from josi._progress import Progress

ENCODING_ERRORS = ("strict", "replace")


@dataclass(frozen=True)
class BatchSummary:
    rows: int
    succeeded: int  # rows in the output, resumed ones included
    skipped: int
    wall_s: float
    resumed: int = 0

    @property
    def cases_per_min(self) -> float:
        ran = self.succeeded - self.resumed
        return 60.0 * ran / self.wall_s if self.wall_s > 0 else 0.0


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


def partial_path(output: str | os.PathLike[str]) -> Path:
    """Where finished cases collect until the run ends: ``<output>.partial``."""
    output = Path(output)
    return output.with_name(output.name + ".partial")


def _same_file(a: Path, b: Path) -> bool:
    if a.resolve() == b.resolve():
        return True
    try:
        return os.path.samefile(a, b)  # hard links
    except OSError:
        return False


def check_output(output: str | os.PathLike[str], inputs: Iterable[str | os.PathLike[str]]) -> None:
    """Refuse an output that is one of ``inputs`` or cannot be written; call before any work."""
    output = Path(output)
    for target in (output, partial_path(output)):
        for source in inputs:
            if _same_file(target, Path(source)):
                raise ConfigError(
                    f"the output {target} is the input {source}; "
                    "writing results there would destroy it, choose another path"
                )
    if output.is_dir():
        raise ConfigError(f"the output {output} is a folder; give a file path")
    parent = output.parent
    if not parent.is_dir():
        what = "is a file, not a folder" if parent.exists() else "does not exist"
        raise ConfigError(f"cannot write the output {output}: {parent} {what}")
    try:
        # A real file is the only reliable test: permission bits lie for root, ACLs and
        # read-only mounts.
        fd, probe = tempfile.mkstemp(dir=parent, prefix=f".{output.name}.", suffix=".probe")
        os.close(fd)
        os.unlink(probe)
    except OSError as exc:
        raise ConfigError(f"cannot write the output {output}: {exc.strerror or exc}") from exc


@dataclass
class BatchPlan:
    """Everything decided before the model loads: the cases to run and where results go."""

    input_path: Path
    output_path: Path
    todo: list[Case]
    rows: int  # valid and invalid rows read
    skipped: int  # invalid rows, already reported
    resumed: int = 0  # finished cases kept from the partial file


def _input_text(path: Path, encoding_errors: str, report: Callable[[str], None]) -> str:
    if encoding_errors not in ENCODING_ERRORS:
        raise ConfigError(
            f"encoding errors {encoding_errors!r} must be one of {list(ENCODING_ERRORS)}"
        )
    if not path.is_file():
        raise ContractError(f"input file not found: {path}")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ContractError(f"cannot read the input {path}: {exc.strerror or exc}") from exc
    if encoding_errors == "strict":
        try:
            return decode_utf8(data, path)
        except JosiError as exc:
            raise type(exc)(f"{exc}; --encoding-errors replace reads it with U+FFFD") from None
    text, replaced = decode_utf8_replacing(data)
    if replaced:
        report(f"{path}: warning: {replaced} invalid UTF-8 sequence(s) replaced with U+FFFD")
    return text


def read_cases(
    path: Path, report: Callable[[str], None], *, encoding_errors: str = "strict"
) -> tuple[list[Case], int]:
    """Valid cases from a JSONL file and how many rows were invalid (each one reported)."""
    cases: list[Case] = []
    skipped = 0
    first_line: dict[str, int] = {}
    # Newlines only: JSON strings may hold U+2028, which str.splitlines() would split on.
    for number, line in enumerate(_input_text(path, encoding_errors, report).split("\n"), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            report(f"{path}:{number}: skipped, not valid JSON ({exc.msg})")
            skipped += 1
            continue
        try:
            case = parse_case(row, default_id=f"line-{number}")
        except ContractError as exc:
            report(f"{path}:{number}: skipped, {exc}")
            skipped += 1
            continue
        if case.id in first_line:
            # Results are matched to cases (and resumed) by id, so ids must be unique.
            report(
                f"{path}:{number}: skipped, id {case.id!r} is already used on line "
                f"{first_line[case.id]}"
            )
            skipped += 1
            continue
        first_line[case.id] = number
        cases.append(case)
    return cases, skipped


def _finished_ids(partial: Path) -> set[str]:
    """Ids of the cases already in a partial file; a line cut off by a kill is dropped."""
    data = partial.read_bytes()
    end = data.rfind(b"\n") + 1
    if end < len(data):
        with open(partial, "r+b") as handle:
            handle.truncate(end)
    ids = set()
    for number, line in enumerate(decode_utf8(data[:end], partial).split("\n"), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ContractError(
                f"{partial}:{number}: not valid JSON ({exc.msg}); cannot resume from it"
            ) from exc
        if not isinstance(row, dict) or "id" not in row:
            raise ContractError(f"{partial}:{number}: not a result row; cannot resume from it")
        ids.add(str(row["id"]))
    return ids


def plan_batch(
    input_path: str | os.PathLike[str],
    output_path: str | os.PathLike[str],
    *,
    report: Callable[[str], None],
    protect: Iterable[str | os.PathLike[str]] = (),
    limit: int | None = None,
    resume: bool = False,
    encoding_errors: str = "strict",
) -> BatchPlan:
    """Check the paths and read the cases; every error here comes before the first case runs.

    ``protect`` names further inputs (the model, its manifest) the output must not be.
    """
    input_path, output_path = Path(input_path), Path(output_path)
    check_output(output_path, [input_path, *protect])
    if limit is not None and limit < 0:
        raise ConfigError(f"limit {limit} must be >= 0")
    cases, skipped = read_cases(input_path, report, encoding_errors=encoding_errors)
    rows = len(cases) + skipped
    if limit is not None:
        cases = cases[:limit]
    partial = partial_path(output_path)
    done: set[str] = set()
    if partial.exists():
        if not resume:
            raise ConfigError(
                f"{partial} holds the finished cases of an interrupted run; "
                "resume it (--resume) or delete it to start again"
            )
        done = _finished_ids(partial)
        report(f"resuming: {len(done)} finished case(s) kept from {partial}")
    todo = [case for case in cases if case.id not in done]
    return BatchPlan(input_path, output_path, todo, rows=rows, skipped=skipped, resumed=len(done))


def execute_batch(
    runtime: JosiRuntime,
    plan: BatchPlan,
    *,
    report: Callable[[str], None],
    progress: Progress | None = None,
) -> BatchSummary:
    """Run the planned cases, streaming each result to the partial file; rename it at the end.

    With no result at all (every case failed, nothing resumed) the output is left as it was.
    """
    partial = partial_path(plan.output_path)
    written, skipped = plan.resumed, plan.skipped
    start = time.perf_counter()
    if plan.todo:
        try:
            handle = open(partial, "ab")  # noqa: SIM115 - closed in the finally below
        except OSError as exc:
            raise ConfigError(f"cannot write {partial}: {exc.strerror or exc}") from exc
        try:
            for number, case in enumerate(plan.todo, start=1):
                try:
                    result = runtime.turn(case.context, case.message, case.history)
                except (GrammarError, ModelFileError):
                    raise
                except JosiError as exc:
                    report(f"{plan.input_path}: case {case.id!r} skipped, {exc}")
                    skipped += 1
                else:
                    row = {"id": case.id, "message": case.message, **result.to_dict()}
                    handle.write(jsonl_line(row).encode("utf-8"))
                    handle.flush()
                    os.fsync(handle.fileno())
                    written += 1
                if progress is not None:
                    progress.update(number)
        except BaseException:
            handle.close()
            if written:
                report(
                    f"stopped: {written} finished case(s) kept in {partial}; "
                    "run again with --resume to continue"
                )
            else:
                partial.unlink(missing_ok=True)
            raise
        finally:
            if progress is not None:
                progress.close()
        handle.close()
    if written:
        os.replace(partial, plan.output_path)
    else:
        partial.unlink(missing_ok=True)
    return BatchSummary(
        rows=plan.rows,
        succeeded=written,
        skipped=skipped,
        wall_s=time.perf_counter() - start,
        resumed=plan.resumed,
    )


def run_batch(
    runtime: JosiRuntime,
    input_path: str | os.PathLike[str],
    output_path: str | os.PathLike[str],
    *,
    report: Callable[[str], None],
    limit: int | None = None,
    resume: bool = False,
    encoding_errors: str = "strict",
    progress: Progress | None = None,
) -> BatchSummary:
    """Run every valid case; one result row per success (see the module docstring)."""
    gguf = getattr(getattr(runtime, "config", None), "gguf", None)
    protect = [gguf, manifest_path(gguf)] if gguf is not None else []
    plan = plan_batch(
        input_path,
        output_path,
        report=report,
        protect=protect,
        limit=limit,
        resume=resume,
        encoding_errors=encoding_errors,
    )
    return execute_batch(runtime, plan, report=report, progress=progress)
