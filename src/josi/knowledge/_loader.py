"""Load the coaching knowledge shipped as data files inside the package.

Everything the generator writes and the scorers judge comes from these files,
so the two cannot drift apart.
"""

from __future__ import annotations

import json
import tomllib
from functools import cache
from importlib import resources
from types import MappingProxyType
from typing import Any

from josi._errors import ContractError

_FILES = {
    "zones": "zones.json",
    "readiness": "readiness.json",
    "phases": "phases.json",
    "sports": "sports.json",
    "personas": "personas.json",
    "lexicon": "lexicon.json",
    "memory": "memory.toml",
    "limits": "limits.toml",
}
_REQUIRED_KEYS = {
    "zones": ("order", "zones"),
    "readiness": ("levels", "states"),
    "phases": ("order", "phases"),
    "sports": ("order", "sports", "not_a_sport"),
    "personas": ("order", "personas"),
    "lexicon": ("forbidden", "jargon", "warmth", "cold"),
    "memory": (
        "sport",
        "time_of_day",
        "availability",
        "injury",
        "lifestyle",
        "goal",
        "patterns",
        "notes",
    ),
    "limits": ("coach", "repetition"),
}


def _freeze(value: Any) -> Any:
    if isinstance(value, dict):
        return MappingProxyType({k: _freeze(v) for k, v in value.items()})
    if isinstance(value, list):
        return tuple(_freeze(v) for v in value)
    return value


@cache
def _load(kind: str) -> Any:
    name = _FILES[kind]
    ref = resources.files("josi.knowledge").joinpath("data", name)
    try:
        raw = ref.read_text(encoding="utf-8")
    except FileNotFoundError as exc:
        raise ContractError(f"knowledge file {name} is missing from the josi package") from exc
    try:
        data = tomllib.loads(raw) if name.endswith(".toml") else json.loads(raw)
    except (json.JSONDecodeError, tomllib.TOMLDecodeError) as exc:
        raise ContractError(f"knowledge file {name} is not valid: {exc}") from exc
    missing = [k for k in _REQUIRED_KEYS[kind] if k not in data]
    if missing:
        raise ContractError(f"knowledge file {name} lacks keys {missing}")
    return _freeze(data)


def zones() -> Any:
    """Zones R, Z1..Z8: name, label, meaning, feel, use, safety (en/nl)."""
    return _load("zones")


def readiness() -> Any:
    """Readiness levels Green/Yellow/Orange/Red with states and wording.

    Zone caps and level aliases are part of the contract shared with the app, so they live in
    tool_dispatch.json and are read through ``josi.routing.zone_cap`` / ``normalize_level``.
    """
    return _load("readiness")


def phases() -> Any:
    return _load("phases")


def sports() -> Any:
    """Sports: app profile names, the generator's en/nl phrases, the detector's en/nl mentions
    and the names memory facts use."""
    return _load("sports")


def personas() -> Any:
    """Personas with voice rules, warmth threshold, allowed register and phrase pools."""
    return _load("personas")


def lexicon() -> Any:
    """Forbidden words, jargon, warmth/cold markers, refusal and memory phrases."""
    return _load("lexicon")


def memory_lexicon() -> Any:
    """English and Dutch words and patterns memory extraction reads in the athlete's turns."""
    return _load("memory")


def limits() -> Any:
    """Per-reply limits (words, questions, repetition, grounding)."""
    return _load("limits")


def sport_from_name(name: str) -> str | None:
    """Map an app profile name ('running', 'cycling') or synonym to the sport enum."""
    needle = name.strip().lower()
    table = sports()["sports"]
    for sport_id in sports()["order"]:
        entry = table[sport_id]
        if needle == sport_id or needle in entry["profile_names"]:
            return sport_id
    for sport_id in sports()["order"]:
        entry = table[sport_id]
        for lang in ("en", "nl"):
            if needle in entry["synonyms"][lang]:
                return sport_id
    return None
