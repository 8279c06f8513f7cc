"""Dialogue governor (answer first, at most one question, English and Dutch) and the
output guard that removes engine internals and ungrounded numbers from coach text."""

from josi.governor._govern import govern
from josi.governor._guard import GuardResult, guard_coach_text
from josi.lang import count_questions, is_question, split_sentences

__all__ = [
    "GuardResult",
    "count_questions",
    "govern",
    "guard_coach_text",
    "is_question",
    "split_sentences",
]
