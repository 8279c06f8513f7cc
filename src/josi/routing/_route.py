"""The router: code, not the model, decides what happens with a request.

Decision order, each step final when it applies:
1. red flags in the message -> the fixed safe reply, nothing else runs;
2. a tier without chat (monitor) -> the no-chat message;
3. confidence below the gate's lower bound -> clarify with the fixed question;
4. an action the tier may not use -> that action's denial message;
5. otherwise execute: engine call or coach per the dispatch table, clarify
   uses the request's clarify_message; confidence between the bounds asks
   the athlete to confirm.
The readiness zone cap comes from the context, never from the request, so
nothing the model writes can lift it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from josi._errors import ContractError
from josi.contracts import ACTIONS, load_tool_dispatch
from josi.lang import detect_language
from josi.postprocess import red_flag_reply
from josi.routing._zones import zone_cap as _zone_cap


@dataclass(frozen=True)
class RouteDecision:
    action: str
    allowed: bool
    needs_coach: bool
    engine_call: str | None
    reply: str | None
    confirm: bool
    zone_cap: str | None
    reason: str
    lang: str = "en"


def message(key: str, lang: str) -> str:
    """A fixed app message from the dispatch table in ``lang`` (English if missing)."""
    texts = load_tool_dispatch()["messages"][key]
    return texts.get(lang) or texts["en"]


def _lang(request: Mapping[str, Any], ctx: Mapping[str, Any]) -> str:
    default = ctx.get("language") if ctx.get("language") in ("en", "nl") else "en"
    return detect_language(str(request.get("free_text") or ""), default=default)


def route(
    request: Mapping[str, Any], ctx: Mapping[str, Any], *, red_flags: Sequence[str] = ()
) -> RouteDecision:
    """Decide from the request and the context alone (see module docs for the order)."""
    table = load_tool_dispatch()
    action = request.get("action") if isinstance(request, Mapping) else None
    if action not in ACTIONS:
        raise ContractError(f"cannot route action {action!r}; expected one of {ACTIONS}")
    tier = ctx.get("tier")
    if tier not in table["tiers"]:
        raise ContractError(f"unknown tier {tier!r}; expected one of {sorted(table['tiers'])}")
    lang = _lang(request, ctx)
    readiness = ctx.get("readiness") or {}
    if "level" not in readiness:
        raise ContractError("context needs readiness.level to route")
    cap = _zone_cap(readiness["level"])
    spec = table["actions"][action]

    def decide(**fields: Any) -> RouteDecision:
        base = dict(
            action=action,
            allowed=True,
            needs_coach=False,
            engine_call=None,
            reply=None,
            confirm=False,
            zone_cap=cap,
            reason="",
            lang=lang,
        )
        base.update(fields)
        return RouteDecision(**base)

    if red_flags:
        return decide(
            allowed=False, reply=red_flag_reply(lang), reason="red_flags: " + ",".join(red_flags)
        )
    if not table["tiers"][tier].get("chat", False):
        return decide(
            allowed=False, reply=message("no_chat", lang), reason=f"tier {tier} has no chat"
        )

    gate = table["confidence_gate"]
    confidence = request.get("confidence")
    if confidence is not None and (
        isinstance(confidence, bool) or not isinstance(confidence, (int, float))
    ):
        raise ContractError(f"confidence must be a number, got {confidence!r}")
    confirm = False
    if confidence is None:
        if gate["missing_confidence"] != "execute":
            return decide(
                action="clarify",
                reply=message("clarify_fallback", lang),
                reason="no confidence given",
            )
    elif action != "clarify":
        if confidence < gate["confirm_at_or_above"]:
            return decide(
                action="clarify",
                reply=message("clarify_fallback", lang),
                reason=f"confidence {confidence} below {gate['confirm_at_or_above']}",
            )
        confirm = confidence <= gate["execute_above"]

    if tier not in spec["tiers"]:
        key = f"{action}_denied"
        reply = message(key if key in table["messages"] else "no_chat", lang)
        return decide(allowed=False, reply=reply, reason=f"{action} needs tier {spec['tiers']}")

    if action == "replan" and table["readiness"].get("plan_engine_exempt"):
        # The plan engine schedules within a periodized plan and applies its own caps.
        cap = None
    reply = None
    if action == "clarify":
        reply = request.get(spec.get("use_field", "clarify_message")) or message(
            "clarify_fallback", lang
        )
    reason = "execute and confirm" if confirm else "execute"
    return decide(
        needs_coach=bool(spec["needs_coach"]),
        engine_call=spec["engine_call"],
        reply=reply,
        confirm=confirm,
        zone_cap=cap,
        reason=reason,
    )
