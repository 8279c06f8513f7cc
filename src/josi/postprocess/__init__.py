"""Deterministic corrections after parsing: red flags, time, sport, clarify; coach and request
intents."""

from josi.postprocess._intents import (
    INTENTS,
    IntentHit,
    RequestHit,
    detect_coach_intent,
    detect_request_intent,
    planned_minutes,
)
from josi.postprocess._post import (
    CLARIFY_REPLAN_TYPE,
    CLARIFY_SPORT,
    PostResult,
    engine_actions,
    message_language,
    named_sport,
    postprocess,
)
from josi.postprocess._redflags import (
    FAMILIES,
    SAFE_REPLY,
    detect_red_flags,
    red_flag_family,
    red_flag_ids,
    red_flag_reply,
)
from josi.postprocess._sport import SPORTS, find_sports, normalize_sport
from josi.postprocess._time import SESSION_MINUTES, durations, extract_minutes

__all__ = [
    "CLARIFY_REPLAN_TYPE",
    "CLARIFY_SPORT",
    "FAMILIES",
    "INTENTS",
    "SAFE_REPLY",
    "SESSION_MINUTES",
    "SPORTS",
    "IntentHit",
    "PostResult",
    "RequestHit",
    "detect_coach_intent",
    "detect_red_flags",
    "detect_request_intent",
    "durations",
    "engine_actions",
    "extract_minutes",
    "find_sports",
    "message_language",
    "named_sport",
    "normalize_sport",
    "planned_minutes",
    "postprocess",
    "red_flag_family",
    "red_flag_ids",
    "red_flag_reply",
]
