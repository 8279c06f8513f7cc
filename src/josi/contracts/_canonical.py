"""The one canonical serialization of a GATCRequest.

Key order is the order the generated grammar accepts: for the request's action,
required keys first, then optional keys, each group in schema order (this is how
llama.cpp's JSON-schema converter orders properties). Compact separators, UTF-8
kept as is, confidence rounded to the grammar's 0.05 steps, `missing` in enum order.
Dataset targets, the grammar and the parser all go through this function, so they
cannot disagree.
"""

from __future__ import annotations

import json
import re
from functools import cache
from typing import Any

from josi._errors import ContractError
from josi.contracts._schema import action_branch, validate_request

CONFIDENCE_STEP = 0.05
CONFIDENCE_LEVELS: tuple[float, ...] = tuple(round(i * CONFIDENCE_STEP, 2) for i in range(21))


@cache
def key_order(action: str) -> tuple[str, ...]:
    branch = action_branch(action)
    names = list(branch["properties"])
    required = set(branch.get("required", ()))
    return tuple([n for n in names if n in required] + [n for n in names if n not in required])


@cache
def _nested_order(action: str, key: str) -> tuple[str, ...] | None:
    from josi.contracts._schema import GATC_REQUEST, load_schema

    ref = action_branch(action)["properties"].get(key, {}).get("$ref", "")
    target = load_schema(GATC_REQUEST)["$defs"].get(ref.rsplit("/", 1)[-1], {})
    props = target.get("properties")
    if not props:
        return None
    required = set(target.get("required", ()))
    names = list(props)
    return tuple([n for n in names if n in required] + [n for n in names if n not in required])


def _enum_ordered(items: list[Any]) -> list[Any]:
    """`missing` is a set; its canonical order is the schema's enum order (the grammar's order)."""
    from josi.contracts._schema import GATC_REQUEST, load_schema

    order = load_schema(GATC_REQUEST)["$defs"]["missing"]["items"]["enum"]
    rank = {name: i for i, name in enumerate(order)}
    return sorted(items, key=lambda item: (rank.get(item, len(rank)), str(item)))


def round_confidence(value: float) -> float:
    steps = round(float(value) / CONFIDENCE_STEP)
    return min(1.0, max(0.0, round(steps * CONFIDENCE_STEP, 2)))


def canonical_request(request: dict[str, Any], *, validate: bool = True) -> dict[str, Any]:
    """A new dict with keys in canonical order and confidence on the grammar's steps."""
    action = request.get("action")
    try:
        order = key_order(action)
    except (ContractError, TypeError) as exc:
        raise ContractError(f"cannot canonicalize a request with action {action!r}") from exc
    unknown = set(request) - set(order)
    if unknown:
        raise ContractError(f"keys not allowed for action {action!r}: {sorted(unknown)}")
    out: dict[str, Any] = {}
    for key in order:
        if key not in request:
            continue
        value = request[key]
        nested = _nested_order(action, key)
        if nested is not None and isinstance(value, dict):
            value = {k: value[k] for k in nested if k in value} | {
                k: v for k, v in value.items() if k not in nested
            }
        if key == "missing" and isinstance(value, list):
            value = _enum_ordered(value)
        if key == "confidence" and isinstance(value, (int, float)) and not isinstance(value, bool):
            value = round_confidence(value)
        out[key] = value
    if validate:
        validate_request(out)
    return out


# json.dumps leaves DEL and lone surrogates raw even though neither may appear
# unescaped in the grammar (nor be encoded as UTF-8); escape them like controls.
_RAW_UNSAFE = re.compile("[\x7f\ud800-\udfff]")

_FREE_TEXT_MAX = 1000  # schemas/gatc_request.schema.json: free_text maxLength


def _escape_raw_unsafe(text: str) -> str:
    return _RAW_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def dumps_request(request: dict[str, Any], *, validate: bool = True) -> str:
    """Canonical JSON text of a GATCRequest (the exact training target string)."""
    text = json.dumps(
        canonical_request(request, validate=validate), ensure_ascii=False, separators=(",", ":")
    )
    return _escape_raw_unsafe(text)


def verbatim_free_text(message: str) -> str:
    """The ``free_text`` a message gives: the message stripped, cut at the schema's maxLength."""
    return message.strip()[:_FREE_TEXT_MAX]


def json_string(text: str) -> str:
    """A string as it appears inside a canonical request (quotes included)."""
    return _escape_raw_unsafe(json.dumps(text, ensure_ascii=False))
