"""Random but consistent athlete contexts (schema-valid ChatContext objects)."""

from __future__ import annotations

import datetime as _dt
import random
from typing import Any

from josi.knowledge import readiness, sports, zones
from josi.routing import LEVELS, normalize_level, zone_cap, zone_order

_LEVEL_WEIGHTS = (0.4, 0.25, 0.2, 0.15)
_DATA_TIERS = ("Minimal", "Basic", "Standard", "Good", "Full", "Enhanced")
PHASES = ("base", "build", "peak", "taper", "recovery")

# Structure labels per zone; {d} is the total duration in minutes.
_STRUCTURES: dict[str, tuple[tuple[str, tuple[int, ...]], ...]] = {
    "R": (("Easy recovery {d}min", (20, 25, 30, 35)), ("Recovery spin {d}min", (20, 30, 40))),
    "Z1": (("Continuous Z1 {d}min", (30, 40, 45, 50)), ("Easy Z1 {d}min", (30, 35, 45))),
    "Z2": (("Continuous Z2 {d}min", (45, 50, 60, 75, 90)), ("Long Z2 {d}min", (90, 105, 120, 150))),
    "Z3": (
        ("3 x 10min Z3 / 3min Z1", (55, 60)),
        ("2 x 15min Z3 / 5min Z1", (60, 65)),
        ("Tempo 20min Z3", (45, 50)),
    ),
    "Z4": (
        ("4 x 5min Z4 / 3min Z1", (50, 55)),
        ("3 x 8min Z4 / 4min Z1", (55, 60)),
        ("5 x 4min Z4 / 2min Z1", (50, 55)),
    ),
    "Z5": (
        ("5 x 3min Z5 / 3min Z1", (50, 55)),
        ("6 x 2min Z5 / 2min Z1", (45, 50)),
        ("4 x 4min Z5 / 4min Z1", (55, 60)),
    ),
    "Z6": (("8 x 1min Z6 / 2min Z1", (45, 50)), ("6 x 90s Z6 / 3min Z1", (50, 55))),
    "Z7": (("6 x 20s Z7 / 3min Z1", (45, 50)), ("8 x 15s Z7 / 2min Z1", (40, 45))),
    "Z8": (("8 x 8s Z8 / 3min Z1", (40, 45)), ("6 x 10s Z8 / 4min Z1", (40, 50))),
}


def level_cap_index(level: str) -> int:
    return zone_order().index(zone_cap(level))


def pick_level(rng: random.Random) -> str:
    return rng.choices(LEVELS, weights=_LEVEL_WEIGHTS)[0]


def zone_allowed(zone: str, level: str) -> bool:
    """Sessions respect the readiness cap; Z7/Z8 only come from the plan on Green days."""
    index = zone_order().index(zone)
    if zone in ("Z7", "Z8"):
        return level == "Green"
    return index <= level_cap_index(level)


def pick_zone(rng: random.Random, level: str) -> str:
    return rng.choice([z for z in zone_order() if zone_allowed(z, level)])


# Phases a zone plausibly appears in; hard anaerobic work is not scheduled in base or recovery.
_PHASES_FOR_ZONE = {
    "R": PHASES,
    "Z1": PHASES,
    "Z2": PHASES,
    "Z3": ("base", "build", "peak", "taper"),
    "Z4": ("build", "peak", "taper"),
    "Z5": ("build", "peak", "taper"),
    "Z6": ("build", "peak"),
    "Z7": ("build", "peak"),
    "Z8": ("base", "build", "peak", "taper"),
}


def make_session(rng: random.Random, zone: str, level: str | None = None) -> dict[str, Any]:
    label, durations = rng.choice(_STRUCTURES[zone])
    if level in ("Orange", "Red"):
        # Tired athletes get short sessions; keep the shortest options.
        durations = tuple(d for d in durations if d <= 60) or durations[:1]
    duration = rng.choice(durations)
    session: dict[str, Any] = {
        "intent": zone,
        "target_zone": zone,
        "target_duration_min": duration,
        "structure_label": label.format(d=duration),
    }
    if rng.random() < 0.85:
        session["phase"] = rng.choice(_PHASES_FOR_ZONE[zone])
    if rng.random() < 0.5:
        session["meso_day"] = rng.randint(1, 28)
    return session


def profile_name(rng: random.Random, sport: str) -> str:
    return rng.choice(sports()["sports"][sport]["profile_names"])


def pick_sport(rng: random.Random) -> str:
    return rng.choices(sports()["order"], weights=(0.4, 0.3, 0.07, 0.06, 0.1, 0.07))[0]


def make_context(
    rng: random.Random,
    *,
    lang: str,
    persona: str,
    tier: str,
    level: str | None = None,
    zone: str | None = None,
    with_session: bool = True,
    profile_sport: str | None = None,
    with_profile: bool = True,
) -> dict[str, Any]:
    level = level or pick_level(rng)
    state = rng.choice(readiness()["levels"][level]["states"])
    day = _dt.date(2026, 1, 5) + _dt.timedelta(days=rng.randrange(0, 180))
    ctx: dict[str, Any] = {
        "athlete_id": f"ath-{rng.randrange(16**6):06x}",
        "tier": tier,
        "mode": tier,
        "persona_id": persona,
        "language": lang,
        "today": day.isoformat(),
        "readiness": {
            "state": state,
            "level": "Amber" if level == "Yellow" and rng.random() < 0.15 else level,
            "confidence": round(rng.uniform(0.5, 0.95), 2),
            "data_tier": rng.choice(_DATA_TIERS),
        },
        "has_session_context": bool(with_session),
    }
    if with_session:
        ctx["planned_session"] = make_session(rng, zone or pick_zone(rng, level), level)
    if with_profile:
        sport = profile_sport or pick_sport(rng)
        levels = sports()["level_names"]["en"]
        ctx["profile_summary"] = {"sport": profile_name(rng, sport), "level": rng.choice(levels)}
    return ctx


def canonical_level(ctx: dict[str, Any]) -> str:
    return normalize_level(ctx["readiness"]["level"])


def zone_label(zone: str, lang: str) -> str:
    return zones()["zones"][zone]["label"][lang]
