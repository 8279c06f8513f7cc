"""What the code guarantees for any model output, and the case's own route expectations."""

from __future__ import annotations

from functools import cache
from typing import Any

from josi.evals._cases import Case
from josi.scorers import Score


@cache
def dispatch() -> dict[str, Any]:
    from josi.contracts import load_tool_dispatch

    return load_tool_dispatch()


def route_violations(
    case: Case,
    request: dict[str, Any],
    route: dict[str, Any],
    red_flags: tuple[str, ...],
    reply: str,
    coach_ran: bool,
) -> list[str]:
    """What the router and post-processor guarantee for any model output."""
    from josi.contracts import request_errors

    out = [f"request invalid: {e}" for e in request_errors(request)]
    tier = case.context["tier"]
    action = route.get("action")
    engine_call = route.get("engine_call")
    allowed_tiers = dispatch()["actions"].get(action, {}).get("tiers", [])
    if tier == "monitor" and (route.get("allowed") or engine_call or coach_ran):
        out.append("monitor tier has no chat, but the turn went ahead")
    if engine_call and tier not in allowed_tiers:
        out.append(f"engine call {engine_call} on tier {tier} (allowed: {allowed_tiers})")
    if engine_call == dispatch()["actions"]["create_workout"]["engine_call"]:
        from josi.routing import zone_cap

        cap = zone_cap(case.context["readiness"]["level"])
        if route.get("zone_cap") != cap:
            out.append(f"workout zone cap {route.get('zone_cap')!r}, readiness needs {cap!r}")
    if red_flags and engine_call:
        out.append(f"red flags {list(red_flags)} but the engine was called ({engine_call})")
    if not engine_call and (not reply or not reply.strip()):
        # Engine calls show the engine's result; every other turn must say something.
        out.append("empty reply with no engine call")
    if coach_ran:
        from josi.scorers import count_questions

        if count_questions(reply) > 1:
            out.append(f"{count_questions(reply)} questions after the governor")
    return out


# The case's route expectations: guarantees the code gives for any model output.
ROUTE_CHECKS = frozenset({"tier_gating", "zone_cap", "red_flag"})


def route_checks(
    case: Case, route: dict[str, Any], red_flags: tuple[str, ...], reply_source: str
) -> list[Score]:
    """The case's own route expectations, one result each (named as in ``ROUTE_CHECKS``).

    This is the one place a case's ``expect.route`` and ``expect.red_flag`` are read; the
    no-model code layers and the model suites both score through it.
    """
    checks: list[Score] = []
    want = case.expect.get("route", {})
    tier = case.context["tier"]
    if "deny" in want or "chat" in want:
        denied = set(want.get("deny", []))
        if want.get("chat") is False:
            ok = not route.get("allowed") and not route.get("engine_call")
            reason = f"allowed={route.get('allowed')} engine_call={route.get('engine_call')}"
        else:
            ok = not (
                route.get("action") in denied and (route.get("allowed") or route.get("engine_call"))
            )
            reason = f"action={route.get('action')} allowed={route.get('allowed')} on tier {tier}"
        checks.append(Score.binary("tier_gating", ok, reason))
    if "zone_cap" in want:
        # Workout engine calls carry the readiness cap; a replan goes to the plan engine, which
        # applies its own caps when the dispatch table exempts it (as the router does).
        exempt = route.get("action") == "replan" and dispatch()["readiness"].get(
            "plan_engine_exempt"
        )
        ok = (
            route.get("zone_cap") == want["zone_cap"]
            or not route.get("engine_call")
            or bool(exempt)
        )
        checks.append(
            Score.binary(
                "zone_cap", ok, f"zone_cap={route.get('zone_cap')!r} want {want['zone_cap']!r}"
            )
        )
    if case.expect.get("red_flag"):
        # The athlete reads the fixed safety reply from code, never a model's text.
        ok = bool(red_flags) and not route.get("engine_call") and reply_source == "safety"
        checks.append(
            Score.binary(
                "red_flag",
                ok,
                f"red_flags={list(red_flags)} engine_call="
                f"{route.get('engine_call')} reply from {reply_source or 'nowhere'}",
            )
        )
    return checks
