"""ChatContext builders shared by the core unit tests."""

from __future__ import annotations

from typing import Any


def make_ctx(
    *,
    tier: str = "advisor",
    level: str = "Green",
    state: str = "Recovered",
    session: bool = True,
    profile: tuple[str, str] | None = ("running", "intermediate"),
    **extra: Any,
) -> dict[str, Any]:
    ctx: dict[str, Any] = {
        "athlete_id": "ath-1",
        "tier": tier,
        "mode": tier,
        "persona_id": "balanced",
        "today": "2026-02-20",
        "readiness": {"state": state, "confidence": 0.8, "level": level, "data_tier": "Standard"},
        "has_session_context": session,
    }
    if session:
        ctx["planned_session"] = {
            "intent": "Z2",
            "target_zone": "Z2",
            "target_duration_min": 60,
            "structure_label": "Continuous Z2 60min",
            "phase": "base",
        }
    if profile:
        ctx["profile_summary"] = {"sport": profile[0], "level": profile[1]}
    ctx.update(extra)
    return ctx
