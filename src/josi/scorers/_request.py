"""Interpreter accuracy: action and per-field agreement between two GATCRequests."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from josi.knowledge import limits
from josi.scorers._score import Score

_LOOSE = ("clarify_message",)


def _as_dict(value: Mapping[str, Any] | str | None) -> dict[str, Any] | None:
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError:
            return None
    return dict(value) if isinstance(value, Mapping) else None


def _text_key(value: Any) -> str:
    return re.sub(r"[\W_]+", " ", str(value).casefold()).strip()


def _same(key: str, got: Any, want: Any) -> bool:
    if key == "confidence":
        if got is None or want is None:
            return got is None and want is None
        return (
            abs(float(got) - float(want)) <= limits()["interpreter"]["confidence_tolerance"] + 1e-9
        )
    if key in _LOOSE:
        return bool(str(got or "").strip()) == bool(str(want or "").strip())
    if key in ("free_text", "question"):
        return got is not None and want is not None and _text_key(got) == _text_key(want)
    if key == "missing":
        return sorted(got or []) == sorted(want or [])
    return got == want


def request_fields(
    predicted: Mapping[str, Any] | str | None, expected: Mapping[str, Any] | str
) -> dict[str, bool]:
    """Per-field agreement over the union of keys (confidence only when expected has it)."""
    want = _as_dict(expected)
    if want is None:
        raise ValueError("expected must be a GATCRequest object or its JSON text")
    got = _as_dict(predicted) or {}
    keys = list(want) + [k for k in got if k not in want and k != "confidence"]
    return {key: _same(key, got.get(key), want.get(key)) for key in keys}


def request_match(
    predicted: Mapping[str, Any] | str | None, expected: Mapping[str, Any] | str
) -> Score:
    """Passed when the action and every field agree; value is the share of agreeing fields."""
    fields = request_fields(predicted, expected)
    if _as_dict(predicted) is None:
        return Score("request_match", 0.0, False, "prediction is not a JSON object")
    value = sum(fields.values()) / len(fields) if fields else 0.0
    wrong = [k for k, ok in fields.items() if not ok]
    passed = not wrong
    return Score(
        "request_match",
        round(value, 4),
        passed,
        f"mismatched {wrong}" if wrong else "all fields match",
    )
