"""Grounding: numbers only from the context, and specific use of the engine's result."""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from josi.knowledge import lexicon, limits
from josi.scorers._score import Score
from josi.scorers._text import normalize, words

_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")
_STOP = frozenset(
    [
        "the",
        "and",
        "for",
        "with",
        "your",
        "you",
        "this",
        "that",
        "today",
        "from",
        "into",
        "over",
        "under",
        "about",
        "some",
        "more",
        "less",
        "then",
        "than",
        "have",
        "will",
        "just",
        "keep",
        "easy",
        "what",
        "when",
        "which",
        "while",
        "after",
        "before",
        "because",
        "their",
        "de",
        "het",
        "een",
        "en",
        "voor",
        "met",
        "je",
        "jouw",
        "vandaag",
        "van",
        "naar",
        "over",
        "onder",
        "wat",
        "als",
        "dan",
        "wordt",
        "omdat",
    ]
)


def _canon(number: str) -> str:
    number = number.replace(",", ".")
    if "." in number:
        number = number.rstrip("0").rstrip(".")
    return number.lstrip("0") or "0"


def numbers_in(text: str) -> list[str]:
    """Every number claimed in ``text``: digit groups and number words, as canonical strings."""
    found = [_canon(m) for m in _NUMBER.findall(text)]
    norm = normalize(text)
    table: dict[str, int] = {}
    for lang in ("en", "nl"):
        table.update(lexicon()["number_words"][lang])
    for phrase in sorted(table, key=len, reverse=True):
        pattern = rf"(?<![\w-]){re.escape(phrase)}(?![\w-])"
        if re.search(pattern, norm):
            found.append(str(table[phrase]))
            norm = re.sub(pattern, " ", norm)
    return found


def grounded_numbers(text: str, context_text: str) -> Score:
    """Every number in the reply (digits or words) appears in the context the model saw."""
    available = set(numbers_in(context_text))
    claimed = numbers_in(text)
    invented = sorted({n for n in claimed if n not in available}, key=lambda s: (len(s), s))
    passed = not invented
    value = (
        1.0 if not claimed else (len(claimed) - sum(n in invented for n in claimed)) / len(claimed)
    )
    reason = f"invented {invented}" if invented else f"{len(claimed)} number(s), all grounded"
    return Score(
        "grounded_numbers",
        round(value, 4),
        passed,
        reason,
        {"claimed": tuple(claimed), "invented": tuple(invented)},
    )


def _gatc_text(gatc_result: Mapping[str, Any]) -> str:
    parts = [str(gatc_result.get("workout_summary", ""))]
    parts.extend(str(b) for b in gatc_result.get("rationale_bullets", ()) or ())
    parts.append(str(gatc_result.get("safety_caps_applied", "")))
    return " ".join(p for p in parts if p)


def grounding_use(text: str, gatc_result: Mapping[str, Any] | None) -> Score:
    """With an engine result present, the reply is about it, not generic advice.

    Passes when there is no result, or the reply reuses one of its numbers or at least
    ``min_shared_content_words`` of its content words.
    """
    if not gatc_result:
        return Score("grounding_use", 1.0, True, "no engine result in context")
    source = _gatc_text(gatc_result)
    shared_numbers = set(numbers_in(text)) & set(numbers_in(source))
    content = {w for w in words(source) if len(w) >= 4 and w not in _STOP}
    shared_words = sorted(content & set(words(text)))
    need = limits()["grounding"]["min_shared_content_words"]
    passed = bool(shared_numbers) or len(shared_words) >= need
    value = min(1.0, (len(shared_numbers) + len(shared_words)) / (need + 1))
    reason = f"shared numbers {sorted(shared_numbers)}, shared words {shared_words[:5]}"
    return Score("grounding_use", round(value, 4), passed, reason)
