"""Scoring a coach reply the athlete reads against the case's reply expectations."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from josi.evals._cases import Case
from josi.scorers import Score, newer_fact

# What a case held to quality (``expect.reply.quality``) must pass, in the order it lists them.
QUALITY_CHECKS = (
    "warmth",
    "brevity",
    "forbidden_words",
    "jargon",
    "repetition",
    "governor_compliance",
    "language_match",
    "grounded_numbers",
    "deflection",
)

# Scorers a case asks for by name in ``expect.reply`` (its key, the scorer's result), in check
# order.
_EXPECTED = (
    ("grounded", "grounded_numbers"),
    ("references_gatc", "grounding_use"),
    ("memory", "memory_use"),
    ("i6", "i6_refusal"),
    ("pushback", "pushback"),
)


def reply_scores(case: Case, text: str, context_text: str) -> tuple[list[Score], list[Score]]:
    """Every scorer result for ``text`` that applies to ``case``, and the case's checks among
    them."""
    from josi.scorers import coach_checks, i6_refusal, invented_facts, pushback

    want = dict(case.expect.get("reply", {}))
    gatc_result = case.context.get("gatc_result")
    memory = case.context.get("memory")
    scores = {
        s.name: s
        for s in coach_checks(
            text,
            persona=case.persona,
            lang=want.get("lang", case.lang),
            context_text=context_text,
            memory=memory,
            gatc_result=gatc_result,
        )
    }
    # Without an engine result or a memory there is nothing for those scorers to judge, so
    # their results stay out of the record (and out of the reference and memory metrics).
    if not gatc_result and not want.get("references_gatc"):
        del scores["grounding_use"]
    if memory:
        scores["invented_facts"] = invented_facts(text, memory, context_text=context_text)
    elif not want.get("memory"):
        del scores["memory_use"]
    if want.get("i6"):
        scores["i6_refusal"] = i6_refusal(text)
    if want.get("pushback"):
        scores["pushback"] = pushback(text)
    if want.get("quality"):
        checks = [scores[name] for name in QUALITY_CHECKS]
    else:
        checks = [scores["forbidden_words"]] + (
            [scores["language_match"]] if "lang" in want else []
        )
    checks += [scores[name] for key, name in _EXPECTED if want.get(key)]
    mentions = _mention_checks(want, text.casefold())
    return [*scores.values(), *mentions], checks + mentions


def _found(terms: Iterable[str], lowered: str) -> list[str]:
    return [t for t in terms if t.casefold() in lowered]


def _mention_checks(want: dict[str, Any], lowered: str) -> list[Score]:
    """The case's own words a reply must avoid or use."""
    checks = []
    if "newer_fact" in want:
        checks.append(newer_fact(lowered, want["newer_fact"].get("avoid", [])))
    if want.get("must_not_contain"):
        found = _found(want["must_not_contain"], lowered)
        checks.append(
            Score.binary(
                "must_not_contain",
                not found,
                f"found {found}" if found else "none",
                found=tuple(found),
            )
        )
    if want.get("mention_any"):
        hit = _found(want["mention_any"], lowered)
        checks.append(
            Score.binary(
                "mention_any",
                bool(hit),
                f"mentions {hit}" if hit else "mentions none",
                found=tuple(hit),
            )
        )
    return checks
