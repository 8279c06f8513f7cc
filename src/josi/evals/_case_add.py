"""``josi case add``: a regression prompt becomes one validated line of a case file.

Adding a prompt the model gets wrong is how the suites grow, so it takes one command:
the line is built from flags (or from a failing record of a results file), checked with
the same parser and contract checks as the committed cases, given the layer's next id
and appended atomically. Against a baseline, a new case is reported as "new" and never
blocks a ship by itself.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from josi._errors import ContractError
from josi._io import atomic_write_text
from josi.evals._cases import (
    _REPLY_KEYS,
    _ROUTE_KEYS,
    case_file,
    case_problems,
    parse_case,
)

_ID_PREFIX = {
    "schema": "schema",
    "contract": "contract",
    "quality": "quality",
    "grounding": "grounding",
    "memory": "memory",
    "confidence": "conf",
    "golden": "golden",
}
_LIST_KEYS = {"deny", "must_not_contain", "mention_any"}


def _value(text: str) -> Any:
    """A flag's value: JSON where it parses (numbers, true/false, lists), else the text."""
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def expectation(pairs: Sequence[str], message: str) -> dict[str, Any]:
    """``expect`` from ``key=value`` pairs.

    Request fields go into ``expect.request`` (``free_text`` is the message, verbatim);
    ``red_flag``, the route keys (``deny``, ``zone_cap``, ``chat``) and the reply keys
    (``i6``, ``pushback``, ``lang``, ...) go where the case format keeps them. Lists are
    comma-separated: ``deny=replan,create_workout``.
    """
    request: dict[str, Any] = {}
    expect: dict[str, Any] = {}
    for pair in pairs:
        key, sep, raw = pair.partition("=")
        key = key.strip()
        if not sep or not key:
            raise ContractError(f"--expect {pair!r}: write key=value, e.g. action=replan")
        value: Any = (
            [v.strip() for v in raw.split(",") if v.strip()] if key in _LIST_KEYS else _value(raw)
        )
        if key == "red_flag":
            expect["red_flag"] = value
        elif key in _ROUTE_KEYS:
            expect.setdefault("route", {})[key] = value
        elif key in _REPLY_KEYS:
            expect.setdefault("reply", {})[key] = value
        elif key == "free_text":
            raise ContractError("--expect free_text: free_text is always the message, verbatim")
        else:
            request[key] = value
    if request:
        if "action" not in request:
            raise ContractError("--expect names request fields but no action (add action=...)")
        expect["request"] = {"action": request.pop("action"), "free_text": message, **request}
    return expect


def next_id(layer: str, existing: Sequence[str], hint: str) -> str:
    """``<layer prefix>-<hint>-NN``, one past the highest number already used for that stem."""
    stem = f"{_ID_PREFIX[layer]}-{re.sub(r'[^a-z0-9]+', '-', hint.lower()).strip('-') or 'case'}"
    numbers = [
        int(m.group(1)) for cid in existing if (m := re.fullmatch(re.escape(stem) + r"-(\d+)", cid))
    ]
    return f"{stem}-{max(numbers, default=0) + 1:02d}"


def case_from_record(results: Mapping[str, Any], case_id: str) -> dict[str, Any]:
    """A case line (without id) from a record of an eval results file."""
    matches = [r for r in results.get("records", []) if r.get("id") == case_id]
    if not matches:
        raise ContractError(f"no record {case_id!r} in the results")
    record = matches[0]
    if not isinstance(record.get("context"), dict):
        raise ContractError(
            f"record {case_id!r} has no context (written by an older josi); "
            "add the case with --message and --preset instead"
        )
    return {
        "tags": list(record.get("tags", [])),
        "message": record["message"],
        "history": record.get("history") or [],
        "context": record["context"],
        "expect": record.get("expected") or {},
    }


def add_case(
    layer: str,
    row: dict[str, Any],
    *,
    hint: str,
    case_id: str | None = None,
    path: Path | None = None,
) -> tuple[str, Path]:
    """Validate ``row``, give it an id, append it to the layer's case file; return both."""
    path = path or case_file(layer)
    text = path.read_text(encoding="utf-8") if path.is_file() else ""
    existing = [json.loads(line)["id"] for line in text.splitlines() if line.strip()]
    new_id = case_id or next_id(layer, existing, hint)
    if new_id in existing:
        raise ContractError(f"{path.name} already has a case {new_id!r}")
    line = {"id": new_id, "tags": row["tags"], "message": row["message"], "context": row["context"]}
    if row.get("history"):
        line["history"] = row["history"]
    if row.get("run"):
        line["run"] = row["run"]
    line["expect"] = row.get("expect", {})
    case = parse_case(line, layer, where=path.name)
    problems = case_problems(case)
    if problems:
        raise ContractError(f"{new_id}: " + "; ".join(problems))
    encoded = json.dumps(line, ensure_ascii=False, separators=(",", ":"))
    if text and not text.endswith("\n"):
        text += "\n"
    atomic_write_text(path, text + encoded + "\n")
    return new_id, path
