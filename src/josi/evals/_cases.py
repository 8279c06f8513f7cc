"""Eval cases: one JSON object per line in ``fixtures/cases/<layer>.jsonl``.

A line holds ``id``, ``tags`` (including the language, ``en`` or ``nl``),
``message``, ``context`` (a preset name from ``presets.json`` plus overrides, or a
full ChatContext), optional ``history``, optional ``run`` and ``expect``.
Overrides merge into the preset recursively; ``null`` removes a key.

``run`` is what the case exercises: ``interpret`` (the interpreter call alone),
``coach`` (the coach call fed the expected request, so coach quality is measured
apart from interpreter errors) or ``turn`` (the whole v6 turn). Each layer has a
default.

``expect`` keys:
  request   the ideal GATCRequest (schema-valid; ``free_text`` is the message).
            Coach runs without one are fed answer_question(question=message).
  fields    request fields to score (default: every non-free-text field given).
  route     code guarantees on the router: ``deny`` (actions that must not run
            for this tier), ``zone_cap`` (the cap carried by any engine call),
            ``chat`` (false: the tier has no chat at all).
  red_flag  true: the post-processor flags the message and no engine call runs.
  reply     checks on the text the athlete reads: ``quality``, ``i6``,
            ``pushback``, ``grounded``, ``references_gatc``, ``memory``,
            ``newer_fact``, ``lang``, ``must_not_contain``, ``mention_any``.
"""

from __future__ import annotations

import copy
import json
import os
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

from josi._errors import ContractError
from josi._io import read_jsonl, read_text
from josi._resources import resource_dir
from josi.evals._metrics_registry import LAYERS

RUNS = ("interpret", "coach", "turn")
DEFAULT_RUN = {
    "schema": "interpret",
    "confidence": "interpret",
    "contract": "turn",
    "quality": "coach",
    "grounding": "coach",
    "memory": "coach",
    "golden": "turn",
}
_CASE_KEYS = {"id", "tags", "message", "context", "history", "run", "expect"}
_EXPECT_KEYS = {"request", "fields", "route", "red_flag", "reply"}
_ROUTE_KEYS = {"deny", "zone_cap", "chat"}
_REPLY_KEYS = {
    "quality",
    "i6",
    "pushback",
    "grounded",
    "references_gatc",
    "memory",
    "newer_fact",
    "lang",
    "must_not_contain",
    "mention_any",
}
FREE_TEXT_FIELDS = ("free_text", "question", "clarify_message", "confidence")


@dataclass(frozen=True)
class Case:
    id: str
    layer: str
    tags: tuple[str, ...]
    message: str
    context: dict[str, Any]
    history: tuple[dict[str, str], ...] = ()
    run: str = "turn"
    expect: dict[str, Any] = field(default_factory=dict)

    @property
    def lang(self) -> str:
        return "nl" if "nl" in self.tags else "en"

    @property
    def persona(self) -> str:
        return self.context["persona_id"]

    @property
    def request(self) -> dict[str, Any] | None:
        return self.expect.get("request")

    def coach_request(self) -> dict[str, Any]:
        """The interpreter output a coach run is fed."""
        if self.request is not None:
            return self.request
        return {"action": "answer_question", "free_text": self.message, "question": self.message}

    def scored_fields(self) -> tuple[str, ...]:
        if "fields" in self.expect:
            return tuple(self.expect["fields"])
        request = self.request or {}
        return tuple(k for k in request if k not in FREE_TEXT_FIELDS and k != "action")


def cases_dir() -> Path:
    """``fixtures/cases``, or the folder ``$JOSI_CASES`` names (a project's own case files)."""
    override = os.environ.get("JOSI_CASES")
    return Path(override) if override else resource_dir("fixtures") / "cases"


@cache
def load_presets(path: str | None = None) -> dict[str, dict[str, Any]]:
    file = Path(path) if path else cases_dir() / "presets.json"
    try:
        data = json.loads(read_text(file))
    except (OSError, json.JSONDecodeError) as exc:
        raise ContractError(f"cannot read context presets {file}: {exc}") from exc
    return {k: v for k, v in data.items() if not k.startswith("_")}


def merge(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """Recursive merge; an override of ``None`` removes the key."""
    out = copy.deepcopy(base)
    for key, value in overrides.items():
        if value is None:
            out.pop(key, None)
        elif isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def expand_context(
    spec: dict[str, Any], presets: dict[str, dict[str, Any]] | None = None
) -> dict[str, Any]:
    presets = load_presets() if presets is None else presets
    spec = dict(spec)
    name = spec.pop("preset", None)
    if name is None:
        return copy.deepcopy(spec)
    if name not in presets:
        raise ContractError(f"unknown context preset {name!r}; known: {sorted(presets)}")
    return merge(presets[name], spec)


def _case_problems(row: Any, layer: str) -> list[str]:
    if not isinstance(row, dict):
        return ["a case must be a JSON object"]
    problems = []
    unknown = set(row) - _CASE_KEYS
    if unknown:
        problems.append(f"unknown keys {sorted(unknown)}")
    for key in ("id", "message"):
        if not isinstance(row.get(key), str) or not row.get(key):
            problems.append(f"{key} must be a non-empty string")
    tags = row.get("tags")
    if not isinstance(tags, list) or not all(isinstance(t, str) for t in tags):
        problems.append("tags must be a list of strings")
    elif len({"en", "nl"} & set(tags)) != 1:
        problems.append("tags must name exactly one language: en or nl")
    if not isinstance(row.get("context"), dict):
        problems.append("context must be an object")
    if row.get("run", DEFAULT_RUN[layer]) not in RUNS:
        problems.append(f"run must be one of {RUNS}")
    expect = row.get("expect", {})
    if not isinstance(expect, dict):
        return [*problems, "expect must be an object"]
    if set(expect) - _EXPECT_KEYS:
        problems.append(f"unknown expect keys {sorted(set(expect) - _EXPECT_KEYS)}")
    if set(expect.get("route", {})) - _ROUTE_KEYS:
        problems.append(f"unknown route keys {sorted(set(expect['route']) - _ROUTE_KEYS)}")
    if set(expect.get("reply", {})) - _REPLY_KEYS:
        problems.append(f"unknown reply keys {sorted(set(expect['reply']) - _REPLY_KEYS)}")
    history = row.get("history", [])
    if not isinstance(history, list) or not all(
        isinstance(t, dict)
        and t.get("role") in ("user", "assistant")
        and isinstance(t.get("message"), str)
        for t in history
    ):
        problems.append("history must be a list of {role: user|assistant, message}")
    return problems


def parse_case(row: Any, layer: str, *, where: str = "") -> Case:
    """One case from its JSON line; bad lines raise ContractError naming the line."""
    problems = _case_problems(row, layer)
    label = f"{where} {row.get('id', '?') if isinstance(row, dict) else '?'}".strip()
    if problems:
        raise ContractError(f"{label}: " + "; ".join(problems))
    try:
        context = expand_context(row["context"])
    except ContractError as exc:
        raise ContractError(f"{label}: {exc}") from exc
    return Case(
        id=row["id"],
        layer=layer,
        tags=tuple(row["tags"]),
        message=row["message"],
        context=context,
        history=tuple(dict(t) for t in row.get("history", [])),
        run=row.get("run", DEFAULT_RUN[layer]),
        expect=copy.deepcopy(row.get("expect", {})),
    )


def case_file(layer: str) -> Path:
    if layer not in LAYERS:
        raise ContractError(f"unknown layer {layer!r}; expected one of {LAYERS}")
    return cases_dir() / f"{layer}.jsonl"


@cache
def load_cases(layer: str) -> tuple[Case, ...]:
    path = case_file(layer)
    if not path.is_file():
        raise ContractError(f"missing case file {path}")
    try:
        rows = read_jsonl(path)
    except ValueError as exc:
        raise ContractError(str(exc)) from exc
    cases = tuple(parse_case(row, layer, where=f"{path.name}:{i}") for i, row in enumerate(rows, 1))
    seen: set[str] = set()
    for case in cases:
        if case.id in seen:
            raise ContractError(f"{path.name}: duplicate case id {case.id!r}")
        seen.add(case.id)
    return cases


def case_problems(case: Case) -> list[str]:
    """Contract problems of a parsed case: its context and expected request must be valid."""
    from josi.contracts import context_errors, request_errors

    problems = [f"context {e}" for e in context_errors(case.context)]
    request = case.request
    if request is not None:
        problems += [f"expect.request {e}" for e in request_errors(request)]
        if request.get("free_text") != case.message:
            problems.append("expect.request.free_text must be the message verbatim")
        missing = [f for f in case.scored_fields() if f not in request]
        if missing:
            problems.append(f"expect.fields names fields not in the request: {missing}")
    if case.run == "interpret" and request is None:
        problems.append("an interpret case needs expect.request")
    return problems
