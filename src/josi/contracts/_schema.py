"""Load the shared JSON Schemas and validate against them with readable errors."""

from __future__ import annotations

import copy
import json
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator, FormatChecker

from josi._errors import ContractError
from josi._resources import resource_path

GATC_REQUEST = "gatc_request.schema.json"
CHAT_CONTEXT = "chat_context.schema.json"
ACTIONS = ("create_workout", "replan", "explain", "answer_question", "clarify")


def load_schema(name: str) -> dict[str, Any]:
    """A fresh copy of a schema; callers may mutate it without touching the shared one."""
    return copy.deepcopy(_load_schema(name))


@cache
def _load_schema(name: str) -> dict[str, Any]:
    path = resource_path("schemas", name)
    try:
        schema = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise ContractError(f"{path} is not valid JSON: {exc}") from exc
    Draft202012Validator.check_schema(schema)
    return schema


@cache
def _validator(name: str) -> Draft202012Validator:
    return Draft202012Validator(_load_schema(name), format_checker=FormatChecker())


@cache
def action_branch(action: str) -> dict[str, Any]:
    """The schema branch (one object schema) for one action."""
    for branch in load_schema(GATC_REQUEST)["oneOf"]:
        if branch["properties"]["action"].get("const") == action:
            return branch
    raise ContractError(f"unknown action {action!r}; expected one of {ACTIONS}")


@cache
def _branch_validator(action: str) -> Draft202012Validator:
    schema = load_schema(GATC_REQUEST)
    branch = dict(action_branch(action))
    branch["$defs"] = schema["$defs"]
    return Draft202012Validator(branch, format_checker=FormatChecker())


def _format(errors) -> list[str]:
    out = []
    for error in sorted(errors, key=lambda e: (list(e.absolute_path), e.message)):
        where = "/".join(str(p) for p in error.absolute_path) or "(root)"
        out.append(f"{where}: {error.message}")
    return out


def request_errors(obj: Any) -> list[str]:
    """All reasons ``obj`` is not a valid GATCRequest; empty when valid.

    Validates against the branch chosen by ``action`` so messages name the real
    problem instead of listing every oneOf alternative.
    """
    if not isinstance(obj, dict):
        return [f"(root): expected an object, got {type(obj).__name__}"]
    action = obj.get("action")
    if action not in ACTIONS:
        return [f"action: {action!r} is not one of {list(ACTIONS)}"]
    errors = _format(_branch_validator(action).iter_errors(obj))
    if not errors:
        # The full oneOf schema is the contract the app validates against; keep both in step.
        errors = _format(_validator(GATC_REQUEST).iter_errors(obj))
    return errors


def is_valid_request(obj: Any) -> bool:
    return not request_errors(obj)


def validate_request(obj: Any) -> dict[str, Any]:
    errors = request_errors(obj)
    if errors:
        raise ContractError("invalid GATCRequest: " + "; ".join(errors))
    return obj


def context_errors(obj: Any) -> list[str]:
    return _format(_validator(CHAT_CONTEXT).iter_errors(obj))


def validate_context(obj: Any) -> dict[str, Any]:
    errors = context_errors(obj)
    if errors:
        raise ContractError("invalid ChatContext: " + "; ".join(errors))
    return obj
