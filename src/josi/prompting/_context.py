"""The context block appended to the athlete's message, in both modes.

The first part is byte-for-byte the v6 guide's ``buildContextString``; the
MEMORY and GATC RESULT blocks follow when the context carries them. Values
from the app are put on one line each and neutralized, so a label cannot add
lines or control tokens to the prompt.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from josi._errors import ContractError
from josi.prompting._memory import render_memory
from josi.prompting._neutralize import neutralize_inline
from josi.prompting._tokens import estimate_tokens

GATC_HEADER = "GATC RESULT:\n"


def build_v6_context(ctx: Mapping[str, Any]) -> str:
    """``buildContextString`` of the v6 integration guide (snake_case keys)."""
    try:
        readiness = ctx["readiness"]
        lines = [
            "CONTEXT:\n",
            f"- Readiness: {neutralize_inline(readiness['level'])} "
            f"({neutralize_inline(readiness['state'])})\n",
        ]
    except (KeyError, TypeError) as exc:
        raise ContractError(f"context needs readiness.level and readiness.state ({exc!r})") from exc
    session = ctx.get("planned_session")
    if ctx.get("has_session_context") and session:
        line = (
            f"- Session: {neutralize_inline(session['target_zone'])} "
            f"{int(session['target_duration_min'])}min "
            f'"{neutralize_inline(session["structure_label"])}"'
        )
        if session.get("phase") is not None:
            line += f" ({neutralize_inline(session['phase'])} phase)"
        lines.append(line + "\n")
    profile = ctx.get("profile_summary")
    if profile:
        lines.append(f"- Sport: {neutralize_inline(profile['sport'])}\n")
        lines.append(f"- Level: {neutralize_inline(profile['level'])}\n")
    return "".join(lines)


def render_gatc_result(
    gatc: Mapping[str, Any] | None,
    *,
    max_tokens: int = 200,
    count_tokens: Callable[[str], int] | None = None,
) -> str:
    """The GATC RESULT block; over budget, rationale bullets go last-first.

    The workout summary and the safety cap are never dropped: the coach must
    not explain a workout without the limits the engine applied.
    """
    if not gatc:
        return ""
    count = count_tokens or estimate_tokens
    head = []
    if gatc.get("workout_summary"):
        head.append(f"- Workout: {neutralize_inline(gatc['workout_summary'])}\n")
    bullets = [
        f"- Reason: {neutralize_inline(b)}\n"
        for b in gatc.get("rationale_bullets") or ()
        if isinstance(b, str) and b.strip()
    ]
    cap = ""
    if gatc.get("safety_caps_applied"):
        cap = f"- Safety cap: {neutralize_inline(gatc['safety_caps_applied'])}\n"
    while True:
        block = GATC_HEADER + "".join(head) + "".join(bullets) + cap
        if not bullets or count(block) <= max_tokens:
            break
        bullets.pop()
    return block if (head or bullets or cap) else ""


def build_context_block(
    ctx: Mapping[str, Any],
    *,
    memory_tokens: int = 400,
    gatc_tokens: int = 200,
    count_tokens: Callable[[str], int] | None = None,
) -> str:
    """v6 context lines, then MEMORY and GATC RESULT blocks when present."""
    block = build_v6_context(ctx)
    block += render_memory(ctx.get("memory"), max_tokens=memory_tokens, count_tokens=count_tokens)
    block += render_gatc_result(
        ctx.get("gatc_result"), max_tokens=gatc_tokens, count_tokens=count_tokens
    )
    return block
