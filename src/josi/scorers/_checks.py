"""All checks a coach reply must pass, in one call shared by the generator and the evals."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from josi.scorers._contract import deflection, i6_refusal, memory_use, pushback, red_flag_care
from josi.scorers._grounding import grounded_numbers, grounding_use
from josi.scorers._quality import (
    brevity,
    forbidden_words,
    governor_compliance,
    jargon,
    language_match,
    repetition,
    warmth,
)
from josi.scorers._score import Score

_EXPECTATIONS = {"i6_refusal": i6_refusal, "pushback": pushback, "red_flag_care": red_flag_care}
EXPECTATIONS = tuple(_EXPECTATIONS)


def coach_checks(
    text: str,
    *,
    persona: str,
    lang: str,
    context_text: str,
    memory: Mapping[str, Any] | str | None = None,
    gatc_result: Mapping[str, Any] | None = None,
    expect: Iterable[str] = (),
    red_flag: bool = False,
) -> tuple[Score, ...]:
    """Every quality, contract and grounding score for one coach reply.

    ``expect`` adds behaviour the situation calls for ("i6_refusal", "pushback",
    "red_flag_care"); a red flag also makes a medical referral acceptable.
    """
    scores = [
        warmth(text, persona),
        brevity(text),
        forbidden_words(text, lang),
        jargon(text),
        repetition(text),
        governor_compliance(text),
        language_match(text, lang),
        grounded_numbers(text, context_text),
        grounding_use(text, gatc_result),
        deflection(text, red_flag=red_flag),
        memory_use(text, memory, context_text=context_text),
    ]
    wanted = list(expect)
    if red_flag and "red_flag_care" not in wanted:
        wanted.append("red_flag_care")
    for name in wanted:
        if name not in _EXPECTATIONS:
            raise ValueError(f"unknown expectation {name!r}; expected one of {EXPECTATIONS}")
        scores.append(_EXPECTATIONS[name](text))
    return tuple(scores)
