"""Interpreter output -> a valid, canonical GATCRequest, or the guide's fallback."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from josi.contracts import canonical_request, request_errors, verbatim_free_text
from josi.parsing._json import find_json_object
from josi.parsing._think import strip_thinking


@dataclass(frozen=True)
class ParseResult:
    """``request`` is always a valid canonical GATCRequest.

    ``ok`` means the model's own output validated; ``fallback`` means the
    request is the answer_question fallback built from the user's message.
    """

    request: dict[str, Any]
    ok: bool
    fallback: bool
    reason: str
    raw: str


def fallback_request(user_message: str) -> dict[str, Any]:
    """answer_question with free_text = question = the athlete's message."""
    text = user_message if isinstance(user_message, str) else ""
    text = verbatim_free_text(text) or "?"
    return {"action": "answer_question", "free_text": text, "question": text}


def parse_request(raw: Any, *, user_message: str) -> ParseResult:
    """Parse interpreter output. Never raises; anything unusable falls back."""
    raw_text = raw if isinstance(raw, str) else ""

    def fail(reason: str) -> ParseResult:
        return ParseResult(fallback_request(user_message), False, True, reason, raw_text)

    if not isinstance(raw, str):
        return fail(f"output is {type(raw).__name__}, not text")
    try:
        text = strip_thinking(raw)
        if not text:
            return fail("empty output")
        json_text, repaired = find_json_object(text)
        if json_text is None:
            return fail("no JSON object found")
        obj = json.loads(json_text, strict=False)
        errors = request_errors(obj)
        if errors:
            return fail("invalid request: " + "; ".join(errors[:3]))
        request = canonical_request(obj)
    except Exception as exc:  # the parser is the last line before the router
        return fail(f"{type(exc).__name__}: {exc}")
    if repaired:
        reason = "repaired truncated output"
    elif json_text != text:
        reason = "ignored text around the object"
    else:
        reason = "ok"
    return ParseResult(request, True, False, reason, raw_text)
