"""Dialogue governor (answer first, at most one question, English and Dutch) and the
output guard that removes engine internals and ungrounded numbers from coach text."""

from josi.governor._govern import count_questions, govern, is_question, split_sentences
from josi.governor._guard import GuardResult, guard_coach_text

__all__ = ["GuardResult", "count_questions", "govern", "guard_coach_text", "is_question", "split_sentences"]
