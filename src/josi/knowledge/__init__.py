"""Coaching knowledge: zones, readiness, phases, sports, personas, lexicon, limits."""

from josi.knowledge._loader import (
    lexicon,
    limits,
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
    "personas",
    "phases",
    "readiness",
    "sport_from_name",
    "sports",
    "zones",
]
