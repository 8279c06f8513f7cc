"""Preference pairs: a passing coach reply against a reply that fails one named scorer."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from josi.data._messages import visible_text
from josi.data._templates import templates
from josi.knowledge import phases, readiness, zones
from josi.scorers import (
    Score,
    brevity,
    deflection,
    forbidden_words,
    governor_compliance,
    grounded_numbers,
    grounding_use,
    jargon,
    memory_use,
)

CATEGORIES = (
    "invented_numbers",
    "jargon",
    "too_long",
    "too_many_questions",
    "deflection",
    "internals",
    "generic_when_grounded",
    "robotic_memory",
)

_INVENTED = {
    "en": [
        "Aim for around {a} bpm and hold about {b} watts.",
        "Your threshold is around {a} bpm, so stay near {b} watts.",
        "Expect to burn about {b} calories and reach {a} bpm.",
    ],
    "nl": [
        "Mik op ongeveer {a} slagen per minuut en zo'n {b} watt.",
        "Je drempel ligt rond {a} slagen, blijf dus rond {b} watt.",
        "Reken op zo'n {b} calorieën en een hartslag van {a}.",
    ],
}
_JARGON = {
    "en": [
        "This periodization block targets supercompensation.",
        "It is a mesocycle built to raise your lactate threshold.",
        "The microcycle is tuned for supercompensation after this load.",
    ],
    "nl": [
        "Dit periodisering-blok stuurt op supercompensatie.",
        "Het is een mesocyclus die je lactaatdrempel verhoogt.",
        "De microcyclus is afgestemd op supercompensatie na deze belasting.",
    ],
}
_QUESTIONS = {
    "en": [
        "How are you feeling today?",
        "Did you sleep well?",
        "What time will you train?",
        "Which route are you taking?",
    ],
    "nl": [
        "Hoe voel je je vandaag?",
        "Heb je goed geslapen?",
        "Hoe laat ga je trainen?",
        "Welke route neem je?",
    ],
}
_DEFLECT = {
    "en": [
        "That's a good one to ask your coach about.",
        "You should ask your doctor or coach about that.",
        "I'd check with your coach on that one, I can't help with that.",
    ],
    "nl": [
        "Dat kun je het beste aan je coach vragen, vraag het je coach.",
        "Daar kan ik je niet mee helpen, vraag het je huisarts.",
        "Check het bij je coach, die weet dat beter.",
    ],
}
_INTERNALS = {
    "en": [
        "The algorithm determined this based on your data.",
        "My model picked this from your readiness score.",
        "The engine decided this using its HMM state.",
    ],
    "nl": [
        "Het algoritme heeft dit bepaald op basis van je data.",
        "Mijn model heeft dit gekozen op basis van je score.",
        "De engine heeft dit besloten met zijn HMM-status.",
    ],
}
_ROBOTIC = {
    "en": [
        "I remember you said: {fact}.",
        "According to my memory, {fact_low}.",
        "You told me before: {fact}.",
    ],
    "nl": [
        "Ik weet nog dat je zei: {fact}.",
        "Volgens mijn geheugen: {fact_low}.",
        "Je zei eerder: {fact}.",
    ],
}


def _rambling(rng: random.Random, lang: str) -> list[str]:
    """Number-free but long-winded filler from the knowledge base."""
    sentences: list[str] = []
    for zone in zones()["order"]:
        sentences.extend(zones()["zones"][zone]["meaning"][lang])
    for phase in phases()["order"]:
        text = phases()["phases"][phase]["meaning"][lang]
        sentences.append(text[0].upper() + text[1:] + ".")
    for level in ("Green", "Yellow", "Orange", "Red"):
        sentences.extend(readiness()["levels"][level]["advice"][lang])
    rng.shuffle(sentences)
    return sentences


def _strip_question(text: str) -> str:
    from josi.lang import split_sentences

    return " ".join(s for s in split_sentences(text) if not s.endswith("?"))


def _reject(
    category: str, rng: random.Random, row: dict[str, Any], seen: str
) -> tuple[str, Callable[[str], Score]] | None:
    lang, chosen, ctx = row["lang"], row["completion"], row["context"]
    if category == "invented_numbers":
        a, b = rng.choice((158, 163, 171, 176)), rng.choice((215, 240, 265, 290))
        sentence = rng.choice(_INVENTED[lang]).format(a=a, b=b)
        text = f"{chosen} {sentence}"
        return text, lambda t: grounded_numbers(t, seen)
    if category == "jargon":
        return f"{chosen} {rng.choice(_JARGON[lang])}", jargon
    if category == "too_long":
        extra = _rambling(rng, lang)
        text = chosen
        while len(text.split()) <= 130 and extra:
            text = f"{text} {extra.pop()}"
        return text, brevity
    if category == "too_many_questions":
        qs = list(_QUESTIONS[lang])
        rng.shuffle(qs)
        return f"{_strip_question(chosen)} {' '.join(qs[:3])}", governor_compliance
    if category == "deflection":
        if row.get("_red_flag"):
            return None
        return rng.choice(_DEFLECT[lang]), deflection
    if category == "internals":
        return f"{chosen} {rng.choice(_INTERNALS[lang])}", forbidden_words
    if category == "generic_when_grounded":
        gatc = ctx.get("gatc_result")
        if not gatc:
            return None
        lines = list(templates("coach")["generic_advice"][lang])
        rng.shuffle(lines)
        return " ".join(lines[:2]), lambda t: grounding_use(t, gatc)
    if category == "robotic_memory":
        memory = ctx.get("memory")
        if not memory or not memory.get("key_facts"):
            return None
        fact = rng.choice(memory["key_facts"])["fact"]
        template = rng.choice(_ROBOTIC[lang])
        sentence = template.format(fact=fact, fact_low=fact[0].lower() + fact[1:])
        return f"{sentence} {chosen}", lambda t: memory_use(t, memory, context_text=seen)
    raise ValueError(f"unknown preference category {category!r}")


# Rows a category's rejected reply can be made from; the others take any coach row.
_SOURCES: dict[str, Callable[[dict[str, Any]], bool]] = {
    # Every row whose context holds an engine result, whatever its question.
    "generic_when_grounded": lambda row: bool(row["context"].get("gatc_result")),
    "robotic_memory": lambda row: row["category"] == "memory_use",
}


def make_pairs(
    rng: random.Random, coach_rows: list[dict[str, Any]], per_category: int
) -> list[dict[str, Any]]:
    pairs: list[dict[str, Any]] = []
    for category in CATEGORIES:
        wanted = _SOURCES.get(category)
        pool = [r for r in coach_rows if wanted is None or wanted(r)]
        if category == "deflection":
            pool = [r for r in pool if not r.get("_red_flag")]
        order = list(range(len(pool)))
        rng.shuffle(order)
        made = 0
        for index in order:
            if made >= per_category:
                break
            row = pool[index]
            seen = visible_text(row["messages"])
            result = _reject(category, rng, row, seen)
            if result is None:
                continue
            rejected, scorer = result
            if scorer(rejected).passed or rejected == row["completion"]:
                continue
            pairs.append(
                {
                    "category": category,
                    "context": row["context"],
                    "user": row["user"],
                    "history": row["history"],
                    "interpreter_output": row["interpreter_output"],
                    "messages": row["messages"],
                    "chosen": row["completion"],
                    "rejected": rejected,
                    "lang": row["lang"],
                    "persona": row["persona"],
                    "group": row["group"],
                    "_split": row.get("_split"),
                }
            )
            made += 1
    return pairs
