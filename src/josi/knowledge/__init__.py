"""Coaching knowledge: zones, readiness, phases, sports, personas, lexicons, limits."""

from josi.knowledge._loader import (
    lexicon,
    limits,
    memory_lexicon,
    personas,
    phases,
    readiness,
    sport_from_name,
    sports,
    zones,
)

__all__ = [
    "lexicon",
    "limits",
    "memory_lexicon",
    "personas",
    "phases",
    "readiness",
    "sport_from_name",
    "sports",
    "zones",
]
