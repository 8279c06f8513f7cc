"""Contracts shared with the mobile app: schemas, canonical JSON, grammar, dispatch table."""

from josi.contracts._canonical import (
    CONFIDENCE_LEVELS,
    canonical_request,
    dumps_request,
    json_string,
    key_order,
    round_confidence,
    verbatim_free_text,
)
from josi.contracts._dispatch import load_tool_dispatch
from josi.contracts._grammar import generate_grammar, generation_schema, grammar_text, pin_free_text
from josi.contracts._schema import (
    ACTIONS,
    action_branch,
    context_errors,
    is_valid_request,
    load_schema,
    request_errors,
    validate_context,
    validate_request,
)

__all__ = [
    "ACTIONS",
    "CONFIDENCE_LEVELS",
    "action_branch",
    "canonical_request",
    "context_errors",
    "dumps_request",
    "generate_grammar",
    "generation_schema",
    "grammar_text",
    "is_valid_request",
    "json_string",
    "key_order",
    "load_schema",
    "load_tool_dispatch",
    "pin_free_text",
    "request_errors",
    "round_confidence",
    "validate_context",
    "validate_request",
    "verbatim_free_text",
]
