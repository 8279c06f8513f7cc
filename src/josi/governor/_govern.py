"""Dialogue governor for coach text: answer first, at most one question."""

from __future__ import annotations

from josi.lang import is_question, split_sentences


def govern(text: str) -> str:
    """Answer first and at most one question, the last one, placed at the end.

    Statements keep their order. Text that already complies is returned
    trimmed but otherwise unchanged (line breaks included).
    """
    if not isinstance(text, str):
        return ""
    text = text.strip()
    sentences = split_sentences(text)
    questions = [s for s in sentences if is_question(s)]
    statements = [s for s in sentences if not is_question(s)]
    if not questions or (not statements and len(questions) == 1):
        return text
    if len(questions) == 1 and is_question(sentences[-1]):
        return text
    return " ".join(statements + questions[-1:])
