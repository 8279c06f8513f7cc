"""An interactive terminal conversation with a GGUF, for a person to feel the model."""

from __future__ import annotations

import copy
import datetime as dt
import json
import math
import shlex
from collections.abc import Callable
from typing import Any

from josi._errors import ContractError, JosiError
from josi.contracts import context_errors
from josi.prompting import PromptBudget
from josi.runtime._runtime import JosiRuntime, TurnResult

# The prompt keeps no more turns than this (the ChatContext schema's history.maxItems).
MAX_HISTORY = PromptBudget().history_turns
_STATE_FOR_LEVEL = {
    "Green": "Recovered",
    "Yellow": "Productive",
    "Amber": "Productive",
    "Orange": "Accumulated",
    "Red": "Overreached",
}
# Short names accepted by /set, mapped to their place in the ChatContext.
_ALIASES = {
    "tier": "tier",
    "persona": "persona_id",
    "readiness": "readiness.level",
    "level": "readiness.level",
    "state": "readiness.state",
    "language": "language",
    "today": "today",
    "sport": "profile_summary.sport",
    "athlete_level": "profile_summary.level",
}
HELP = (
    "commands: /context (show), /set key=value [key=value ...] (tier, persona, readiness, state, "
    "language, today, sport, athlete_level or any dotted path such as "
    "planned_session.target_zone), "
    "/reset (forget the conversation), /help, /quit"
)


def default_context(
    *, tier: str = "coach", persona: str = "balanced", readiness: str = "Green"
) -> dict[str, Any]:
    return {
        "athlete_id": "terminal",
        "tier": tier,
        "mode": tier,
        "persona_id": persona,
        "today": dt.date.today().isoformat(),
        "readiness": {"state": _STATE_FOR_LEVEL.get(readiness, "Productive"), "level": readiness},
    }


# A ChatContext is a few levels deep. Anything much deeper is a typing accident, and copying,
# validating or printing it would recurse past Python's limit.
MAX_DEPTH = 16
_TOO_DEEP = f"{{key}}: the value is nested more than {MAX_DEPTH} levels deep"


def _value(key: str, text: str, depth: int) -> Any:
    """``text`` as JSON when it parses, else as text; the key path takes ``depth`` levels."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        value = text
    except RecursionError:
        raise ContractError(_TOO_DEEP.format(key=key)) from None
    except ValueError as exc:  # e.g. an integer of more than 4,300 digits
        raise ContractError(f"{key}: cannot read the value: {exc}") from None
    _check_value(key, value, depth)
    return value


def _check_value(key: str, value: Any, depth: int) -> None:
    """Refuse what the schema lets through but a prompt or terminal cannot carry."""
    level = [value]
    while level:
        depth += 1
        if depth > MAX_DEPTH:
            raise ContractError(_TOO_DEEP.format(key=key))
        children: list[Any] = []
        for node in level:
            if isinstance(node, dict):
                children.extend(node)
                children.extend(node.values())
            elif isinstance(node, list):
                children.extend(node)
            elif isinstance(node, float) and not math.isfinite(node):
                raise ContractError(f"{key}: {node} is not a finite number")
            elif isinstance(node, str) and not _is_unicode(node):
                raise ContractError(f"{key}: the value holds a lone surrogate (not valid Unicode)")
        level = children


def _is_unicode(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def set_path(ctx: dict[str, Any], assignments: str) -> dict[str, Any]:
    """A new context with ``key=value [key=value ...]`` applied together.

    Values are JSON when they parse as JSON, else text; quote values with spaces.
    ContractError if the usage is wrong or the resulting context is invalid.
    """
    try:
        parts = shlex.split(assignments)
    except ValueError as exc:
        raise ContractError(f"cannot read {assignments!r}: {exc}") from exc
    if not parts:
        raise ContractError("usage: /set key=value [key=value ...]")
    new = copy.deepcopy(ctx)
    for assignment in parts:
        key, sep, raw = assignment.partition("=")
        key, raw = key.strip(), raw.strip()
        if not sep or not key:
            raise ContractError("usage: /set key=value [key=value ...]")
        path = _ALIASES.get(key, key).split(".")
        if len(path) > MAX_DEPTH or not _is_unicode(key):
            raise ContractError(f"{key[:40]!r}: not a context path")
        node = new
        for part in path[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise ContractError(f"{key}: {part} is not an object")
        node[path[-1]] = _value(key, raw, len(path) - 1)
        if path == ["tier"]:
            new["mode"] = new["tier"]
        if key in ("readiness", "level"):
            new["readiness"]["state"] = _STATE_FOR_LEVEL.get(str(node[path[-1]]), "Productive")
    errors = context_errors(new)
    if errors:
        raise ContractError("the context would be invalid: " + "; ".join(errors[:3]))
    return new


def describe_route(result: TurnResult) -> str:
    route = result.route
    parts = [route.action]
    if not route.allowed:
        parts.append("denied")
    if route.engine_call:
        parts.append(f"engine {route.engine_call}")
    parts.append("coach" if result.coach_text is not None else "no coach")
    if route.zone_cap:
        parts.append(f"cap {route.zone_cap}")
    if route.confirm:
        parts.append("confirm")
    parts += [f"fallback {name}" for name in result.fallbacks]
    parts.append(f"{result.latency_s:.2f}s")
    return "[" + " · ".join(parts) + "]"


def chat_loop(
    runtime: JosiRuntime,
    ctx: dict[str, Any],
    *,
    read: Callable[[str], str],
    write: Callable[[str], None],
    dim: Callable[[str], str],
) -> int:
    """Run until /quit or end of input; returns the number of turns answered."""
    history: list[dict[str, str]] = []
    turns = 0
    write(dim("Josi chat. " + HELP))
    while True:
        try:
            line = read("you> ")
        except EOFError:
            break
        except UnicodeDecodeError as exc:
            write(
                f"error: the line is not valid UTF-8 ({exc.reason} at byte {exc.start}); "
                "type it again"
            )
            continue
        line = line.strip()
        if not line:
            continue
        if not _is_unicode(line):
            # What a terminal in a non-UTF-8 locale passes on for bytes it cannot decode.
            write("error: the line is not valid UTF-8; type it again")
            continue
        if line.startswith("/"):
            command, _, rest = line.partition(" ")
            if command in ("/quit", "/exit"):
                break
            if command == "/help":
                write(HELP)
            elif command == "/context":
                write(json.dumps(ctx, indent=2, ensure_ascii=False))
            elif command == "/reset":
                history.clear()
                write(dim("conversation forgotten"))
            elif command == "/set":
                try:
                    ctx = set_path(ctx, rest)
                    write(dim(f"set {rest.strip()}"))
                except ContractError as exc:
                    write(f"error: {exc}")
            else:
                write(f"unknown command {command}; {HELP}")
            continue
        try:
            result = runtime.turn(ctx, line, history=list(history))
        except JosiError as exc:
            write(f"error: {exc}")
            continue
        turns += 1
        write(dim(describe_route(result)))
        if result.route.engine_call and result.route.allowed:
            write(dim("engine request: " + json.dumps(result.request, ensure_ascii=False)))
        reply = result.reply
        write(f"josi> {reply}" if reply else dim("josi> (the app shows the engine's result)"))
        history.append({"role": "user", "message": line[:2000]})
        if reply:
            history.append({"role": "assistant", "message": reply[:2000]})
        del history[:-MAX_HISTORY]
    return turns


__all__ = ["chat_loop", "default_context", "describe_route", "set_path"]
