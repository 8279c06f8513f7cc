"""Athlete memory from conversations (English and Dutch), as the product plan's phase 8
("Athlete Memory Integration", docs/glossary.md).

Only the athlete's own turns are read. Each rule (``_rules``, its words in the
knowledge base's memory.toml) turns a statement into a short canonical English
fact ("Primary sport: running", "Has knee issue"). Facts carry a key (derived
from the fact text, so stored memory needs no extra field): the same fact again
raises its confidence; a different fact under the same key replaces it, because
the newer statement wins. Caps: 15 facts (lowest confidence dropped first),
5 patterns, 5 coaching notes (oldest dropped first).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from functools import cache
from typing import Any

from josi.knowledge import memory_lexicon
from josi.memory._rules import extract_from_text, is_about_when

MAX_FACTS, MAX_PATTERNS, MAX_NOTES = 15, 5, 5
MAX_TEXT = 160
REPEAT_BONUS = 0.05
MAX_CONFIDENCE = 0.99
SOURCE = "conversation"


def fact_key(text: str) -> str:
    """Facts with the same key describe the same thing; the newer one wins."""
    t = text.strip()
    if m := re.match(r"(?i)^has (.+?) issue\b", t):
        return f"injury:{m.group(1).lower()}"
    if m := re.match(r"(?i)^(.+?) issue resolved$", t):
        return f"injury:{m.group(1).lower()}"
    if re.match(r"(?i)^prefers \w+ sessions$", t):
        return "time_of_day"
    if m := re.match(r"(?i)^also does (.+)$", t):
        return f"also:{m.group(1).lower()}"
    if m := re.match(r"^([^:]{1,40}):", t):
        label = m.group(1).strip().lower()
        return "goal" if re.search(memory_lexicon()["goal"]["fact_label"], label) else label
    # Facts written elsewhere name a time of day in their own words; read with the extractor's
    # own slots, such a fact and "Prefers <slot> sessions" are one thing.
    if is_about_when(t):
        return "time_of_day"
    return re.sub(r"\s+", " ", t.lower())


def current_memory(memory: Any) -> Any:
    """``memory`` with one fact per key: where stored facts describe the same thing
    (``fact_key``), only the one learned last is kept (on a tie, the later in stored order), the
    rule ``extract_memory`` merges a new statement by. Memory written elsewhere (another client, an
    older store, an app that appends) may still hold both, and a small model then follows
    either. Anything else in ``memory`` is returned as it was; without a superseded fact, the
    same object."""
    if not isinstance(memory, Mapping) or not isinstance(memory.get("key_facts"), list | tuple):
        return memory
    facts = memory["key_facts"]
    # key -> (rank, index) of the newest fact under it; facts without text are kept as they are
    latest: dict[str, tuple[tuple[Any, ...], int]] = {}
    keyed: list[int] = []
    for index, fact in enumerate(facts):
        text = fact.get("fact") if isinstance(fact, Mapping) else None
        if not isinstance(text, str) or not text.strip():
            continue
        keyed.append(index)
        rank = (*_learned(fact.get("learned_at")), index)
        key = fact_key(text)
        if key not in latest or rank > latest[key][0]:
            latest[key] = (rank, index)
    newest = {index for _, index in latest.values()}
    superseded = {index for index in keyed if index not in newest}
    if not superseded:
        return memory
    return {**memory, "key_facts": [f for i, f in enumerate(facts) if i not in superseded]}


def _learned(stamp: Any) -> tuple[int, datetime | str]:
    """An order for ``learned_at``: times compare as times; a value that is not one sorts first."""
    if isinstance(stamp, str):
        try:
            when = datetime.fromisoformat(stamp.replace("Z", "+00:00"))
        except ValueError:
            return (0, stamp)
        return (1, when if when.tzinfo else when.replace(tzinfo=UTC))
    return (0, "")


def note_key(text: str) -> str:
    """Patterns and notes differing only in a number are the same, newer wins."""
    return re.sub(r"\d+", "#", re.sub(r"\s+", " ", text.strip().lower()))


def _timestamp(now: datetime | str | None) -> str:
    if isinstance(now, str):
        return now
    now = now or datetime.now(UTC)
    if now.tzinfo is None:
        now = now.replace(tzinfo=UTC)
    return now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _user_texts(turns: Iterable[Any]) -> list[str]:
    out = []
    for turn in turns or ():
        if isinstance(turn, str):
            out.append(turn)
        elif isinstance(turn, Mapping) and turn.get("role", "user") == "user":
            text = turn.get("message", turn.get("content"))
            if isinstance(text, str):
                out.append(text)
    return out


def _merge_fact(facts: list[dict[str, Any]], new: dict[str, Any]) -> None:
    key = fact_key(new["fact"])
    for index, old in enumerate(facts):
        if fact_key(old["fact"]) != key:
            continue
        if old["fact"].strip().lower() == new["fact"].strip().lower():
            merged = dict(old)
            merged["confidence"] = round(
                min(
                    MAX_CONFIDENCE, max(float(old["confidence"]), new["confidence"]) + REPEAT_BONUS
                ),
                2,
            )
            merged["learned_at"] = max(str(old["learned_at"]), new["learned_at"])
            facts[index] = merged
        else:
            facts[index] = new
        return
    facts.append(new)


def _merge_text(items: list[str], new: str, cap: int) -> None:
    key = note_key(new)
    for index, old in enumerate(items):
        if note_key(old) == key:
            items.pop(index)
            break
    items.append(new)
    del items[:-cap]


def extract_memory(
    turns: Iterable[Any],
    *,
    existing: Mapping[str, Any] | None = None,
    now: datetime | str | None = None,
) -> dict[str, Any]:
    """Merge what the athlete said in ``turns`` into ``existing`` memory.

    ``turns`` are ChatContext history items (``{"role", "message"}``), chat
    messages (``{"role", "content"}``) or plain strings (athlete turns). The
    result validates against the ``memory`` object of chat_context.schema.json.
    """
    stamp = _timestamp(now)
    existing = existing or {}
    facts = [
        dict(f) for f in existing.get("key_facts") or () if isinstance(f, Mapping) and f.get("fact")
    ]
    patterns = [p for p in existing.get("patterns") or () if isinstance(p, str) and p.strip()]
    notes = [n for n in existing.get("coaching_notes") or () if isinstance(n, str) and n.strip()]
    for text in _user_texts(turns):
        for item in extract_from_text(text):
            body = item.text[:MAX_TEXT]
            if item.kind == "fact":
                _merge_fact(
                    facts,
                    {
                        "fact": body,
                        "category": item.category,
                        "source": SOURCE,
                        "confidence": item.confidence,
                        "learned_at": stamp,
                    },
                )
            elif item.kind == "pattern":
                _merge_text(patterns, body, MAX_PATTERNS)
            else:
                _merge_text(notes, body, MAX_NOTES)
    while len(facts) > MAX_FACTS:
        weakest = min(
            range(len(facts)),
            key=lambda i: (float(facts[i]["confidence"]), str(facts[i]["learned_at"]), i),
        )
        facts.pop(weakest)
    return {
        "key_facts": facts,
        "patterns": patterns[-MAX_PATTERNS:],
        "coaching_notes": notes[-MAX_NOTES:],
    }


@cache
def _memory_validator():
    from jsonschema import Draft202012Validator, FormatChecker

    from josi.contracts import load_schema

    schema = dict(load_schema("chat_context.schema.json")["properties"]["memory"])
    return Draft202012Validator(schema, format_checker=FormatChecker())


def memory_errors(memory: Any) -> list[str]:
    """Reasons ``memory`` does not match the schema's ``memory`` object; empty when valid."""
    errors = sorted(_memory_validator().iter_errors(memory), key=lambda e: list(e.absolute_path))
    return [f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}" for e in errors]
