"""An interactive terminal conversation with a GGUF, for a person to feel the model."""

from __future__ import annotations

import copy
import datetime as dt
import json
import shlex
from collections.abc import Callable
from typing import Any

from josi._errors import ContractError, JosiError
from josi.contracts import context_errors
from josi.runtime._runtime import JosiRuntime, TurnResult

# The schema caps history at 20 turns.
MAX_HISTORY = 20
_STATE_FOR_LEVEL = {"Green": "Recovered", "Yellow": "Productive", "Amber": "Productive",
                    "Orange": "Accumulated", "Red": "Overreached"}
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
    "language, today, sport, athlete_level or any dotted path such as planned_session.target_zone), "
    "/reset (forget the conversation), /help, /quit"
)


def default_context(*, tier: str = "coach", persona: str = "balanced",
                    readiness: str = "Green") -> dict[str, Any]:
    return {
        "athlete_id": "terminal",
        "tier": tier,
        "mode": tier,
        "persona_id": persona,
        "today": dt.date.today().isoformat(),
        "readiness": {"state": _STATE_FOR_LEVEL.get(readiness, "Productive"), "level": readiness},
    }


def _value(text: str) -> Any:
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


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
        node = new
        for part in path[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise ContractError(f"{key}: {part} is not an object")
        node[path[-1]] = _value(raw)
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
        line = line.strip()
        if not line:
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
