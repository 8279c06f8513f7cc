"""Text helpers shared by the scorers: normalisation, phrase search, words."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import cache

from josi.lang import normalize_for_matching

_WORD = re.compile(r"[^\W_]+(?:['’\-][^\W_]+)*", re.UNICODE)


def normalize(text: str) -> str:
    text = normalize_for_matching(text)
    text = text.replace("’", "'").replace("‘", "'").replace("“", '"').replace("”", '"')
    return re.sub(r"\s+", " ", text).strip().lower()


def words(text: str) -> list[str]:
    return _WORD.findall(normalize(text))


def word_count(text: str) -> int:
    return len(words(text))


@cache
def _phrase_pattern(phrases: tuple[str, ...]) -> re.Pattern[str] | None:
    cleaned = sorted({normalize(p) for p in phrases if p.strip()}, key=len, reverse=True)
    if not cleaned:
        return None
    body = "|".join(re.escape(p) for p in cleaned)
    return re.compile(rf"(?<![\w])(?:{body})(?![\w])")


def find_phrases(text: str, phrases: Iterable[str]) -> list[str]:
    """Phrases from ``phrases`` that occur in ``text`` as whole words, in order of appearance."""
    pattern = _phrase_pattern(tuple(phrases))
    if pattern is None:
        return []
    return [m.group(0) for m in pattern.finditer(normalize(text))]


def both_languages(table: object) -> tuple[str, ...]:
    """Flatten an {"en": [...], "nl": [...]} mapping (or a plain list) to one tuple."""
    if isinstance(table, (list, tuple)):
        return tuple(table)
    out: list[str] = []
    for key in ("en", "nl"):
        out.extend(table.get(key, ()))  # type: ignore[union-attr]
    return tuple(out)
