"""Sport names in English and Dutch -> the GATCRequest sport enum (words: knowledge sports.json)."""

from __future__ import annotations

import re
from functools import cache

from josi.knowledge import sports
from josi.lang import normalize_for_matching

SPORTS = ("run", "bike", "ski", "skate", "strength", "other")


@cache
def _index() -> dict[str, str]:
    index: dict[str, str] = {}
    table = sports()["sports"]
    for sport in SPORTS:
        for lang in ("en", "nl"):
            for name in table[sport]["mentions"][lang]:
                index.setdefault(name, sport)
    for sport in SPORTS:
        index.setdefault(sport, sport)
    return index


@cache
def _pattern() -> re.Pattern[str]:
    # Longest name first, so "skate skiing" is skiing and not a skate.
    names = sorted(_index(), key=len, reverse=True)
    alternatives = "|".join(re.escape(n).replace(r"\ ", r"[\s-]+") for n in names)
    return re.compile(r"(?<![\w-])(" + alternatives + r")(?![\w-])", re.IGNORECASE)


@cache
def _not_a_sport() -> re.Pattern[str]:
    return re.compile("|".join(sports()["not_a_sport"]), re.IGNORECASE)


def find_sports(text: str) -> tuple[str, ...]:
    """Every sport mentioned in ``text``, in order of first mention."""
    if not isinstance(text, str):
        return ()
    index = _index()
    text = _not_a_sport().sub(" ", normalize_for_matching(text))
    found: list[str] = []
    for match in _pattern().finditer(text):
        key = re.sub(r"[\s-]+", " ", match.group(1).lower())
        sport = index.get(key) or index.get(key.replace(" ", "-"))
        if sport is None:
            sport = next((v for k, v in index.items() if re.sub(r"[\s-]+", " ", k) == key), None)
        if sport and sport not in found:
            found.append(sport)
    return tuple(found)


def normalize_sport(text: str | None) -> str | None:
    """The sport enum for a sport name or a message naming one (first mention wins)."""
    if not isinstance(text, str) or not text.strip():
        return None
    lowered = normalize_for_matching(text).strip().lower()
    if lowered in SPORTS:
        return lowered
    found = find_sports(text)
    return found[0] if found else None
