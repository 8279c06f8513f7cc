"""Pure scorers shared by the data generator and the eval harness. Each returns a frozen Score."""

from josi.scorers._checks import EXPECTATIONS, coach_checks
from josi.scorers._contract import (
    deflection,
    i6_refusal,
    invented_facts,
    memory_use,
    newer_fact,
    pushback,
    red_flag_care,
)
from josi.scorers._grounding import grounded_numbers, grounding_use, numbers_in
from josi.scorers._quality import (
    brevity,
    count_questions,
    forbidden_words,
    governor_compliance,
    jargon,
    language_match,
    repetition,
    warmth,
)
from josi.scorers._request import request_fields, request_match
from josi.scorers._score import Score, all_passed, failures

__all__ = [
    "EXPECTATIONS",
    "Score",
    "all_passed",
    "brevity",
    "coach_checks",
    "count_questions",
    "deflection",
    "failures",
    "forbidden_words",
    "governor_compliance",
    "grounded_numbers",
    "grounding_use",
    "i6_refusal",
    "invented_facts",
    "jargon",
    "language_match",
    "memory_use",
    "newer_fact",
    "numbers_in",
    "pushback",
    "red_flag_care",
    "repetition",
    "request_fields",
    "request_match",
    "warmth",
]
