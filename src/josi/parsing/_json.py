"""Find the first JSON object in free model text, repairing a truncated tail."""

from __future__ import annotations

import json
from typing import Any

# Each start position costs one linear scan; preamble text rarely holds more braces.
_MAX_STARTS = 16
# Truncated output is repaired by cutting back to a recent comma; a few tries suffice.
_MAX_CUTS = 8
_CLOSER = {"{": "}", "[": "]"}


def _loads_object(text: str) -> dict[str, Any] | None:
    try:
        value = json.loads(text, strict=False)
    except (ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


def _scan(text: str, start: int) -> tuple[str | None, bool]:
    """Scan one candidate object at ``text[start] == '{'``: (text, was repaired)."""
    stack: list[str] = []
    in_string = False
    escape = False
    # (position of a comma outside strings, closers needed if cut there)
    cuts: list[tuple[int, str]] = []
    for i in range(start, len(text)):
        ch = text[i]
        if in_string:
            if escape:
                escape = False
            elif ch == "\\":
                escape = True
            elif ch == '"':
                in_string = False
            continue
        if ch == '"':
            in_string = True
        elif ch in "{[":
            stack.append(ch)
        elif ch in "}]":
            if not stack or _CLOSER[stack[-1]] != ch:
                return None, False
            stack.pop()
            if not stack:
                return text[start : i + 1], False
        elif ch == ",":
            cuts.append((i, "".join(_CLOSER[c] for c in reversed(stack))))
    # Truncated: close an open string, then every open bracket.
    tail = text[start:]
    if in_string:
        if escape:
            tail = tail[:-1]
        tail += '"'
    closers = "".join(_CLOSER[c] for c in reversed(stack))
    candidate = tail + closers
    if _loads_object(candidate) is not None:
        return candidate, True
    # The last field is cut mid-way ("sport": or "tim): drop it.
    for position, needed in reversed(cuts[-_MAX_CUTS:]):
        candidate = text[start:position] + needed
        if _loads_object(candidate) is not None:
            return candidate, True
    return None, False


def find_json_object(text: str) -> tuple[str | None, bool]:
    """Like :func:`extract_first_json_object`, also telling whether a repair was needed."""
    if not isinstance(text, str):
        return None, False
    position = text.find("{")
    tries = 0
    while position != -1 and tries < _MAX_STARTS:
        tries += 1
        candidate, repaired = _scan(text, position)
        if candidate is not None and _loads_object(candidate) is not None:
            return candidate, repaired
        position = text.find("{", position + 1)
    return None, False


def extract_first_json_object(text: str) -> str | None:
    """Text of the first JSON object in ``text`` that parses, or None.

    String contents and escapes are respected while matching braces. When the
    text ends inside the object (output cap reached), an unterminated string is
    closed, open brackets are closed, and if that is not enough the last
    incomplete field is dropped. Never raises.
    """
    return find_json_object(text)[0]
