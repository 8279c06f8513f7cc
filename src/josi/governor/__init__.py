"""Dialogue governor: answer first, at most one question, in English and Dutch."""

from josi.governor._govern import count_questions, govern, is_question, split_sentences

__all__ = ["count_questions", "govern", "is_question", "split_sentences"]
