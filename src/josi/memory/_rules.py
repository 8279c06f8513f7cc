"""The rules that read one athlete message into memory items.

Words and patterns are data: knowledge ``memory.toml`` and, for sport names, ``sports.json``.
Each rule returns canonical English text whatever the message's language, so the same fact
said in Dutch and in English merges into one.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import cache
from typing import NamedTuple

from josi.knowledge import memory_lexicon, sports
from josi.postprocess import extract_minutes, normalize_sport

_I = re.IGNORECASE


@dataclass(frozen=True)
class Found:
    kind: str  # "fact", "pattern" or "note"
    text: str
    category: str = "other"
    confidence: float = 0.7


class _SportWords(NamedTuple):
    names: dict[str, str]  # sport enum -> the name a fact uses
    athletes: dict[str, str]  # "runner" -> sport enum
    others: dict[str, str]  # a word or athlete noun of a sport under "other" -> its name
    athlete_rx: tuple[str, ...]  # the "I'm a runner" pattern per language


@cache
def _sport_words() -> _SportWords:
    table = sports()["sports"]
    names: dict[str, str] = {}
    athletes: dict[str, str] = {}
    others: dict[str, str] = {}
    nouns: dict[str, list[str]] = {"en": [], "nl": []}
    for sport in sports()["order"]:
        spec = table[sport]
        if "memory_name" in spec:
            names[sport] = spec["memory_name"]
        for lang in nouns:
            for noun in spec.get("athletes", {}).get(lang, ()):
                athletes[noun] = sport
                nouns[lang].append(noun)
        for kind, words in spec.get("kinds", {}).items():
            for lang in nouns:
                others.update(dict.fromkeys(words["words"][lang], kind))
                others.update(dict.fromkeys(words["athletes"][lang], kind))
                nouns[lang].extend(words["athletes"][lang])
    athlete = memory_lexicon()["sport"]["athlete"]
    athlete_rx = tuple(
        athlete[lang].replace("{athletes}", _alternatives(nouns[lang])) for lang in nouns
    )
    return _SportWords(names, athletes, others, athlete_rx)


def _alternatives(words: Iterable[str], *, longest_first: bool = False) -> str:
    escaped = [re.escape(w) for w in words]
    return "|".join(sorted(escaped, key=len, reverse=True) if longest_first else escaped)


def _named_sport(word: str) -> str | None:
    """A fact's name for the sport the detector finds in ``word``, or for a sport under "other"."""
    words = _sport_words()
    sport = normalize_sport(word)
    return words.names.get(sport) if sport and sport != "other" else words.others.get(word.lower())


def _sports(text: str) -> Iterable[Found]:
    lex, words = memory_lexicon()["sport"], _sport_words()
    for rx in words.athlete_rx:
        for m in re.finditer(rx, text, _I):
            word = m.group(1).lower()
            sport = words.athletes.get(word)
            name = words.names.get(sport) if sport else words.others.get(word)
            if name:
                yield Found("fact", f"Primary sport: {name}", "sport", 0.9)
    for rule in lex["primary"]:
        for m in re.finditer(rule["pattern"], text, _I):
            name = _named_sport(m.group(1).lower())
            if name:
                yield Found("fact", f"Primary sport: {name}", "sport", rule["confidence"])
    for rx in lex["also"]:
        for m in re.finditer(rx, text, _I):
            name = _named_sport(lex["also_words"].get(m.group(1).lower(), m.group(1)))
            if name:
                yield Found("fact", f"Also does {name}", "sport", 0.6)


def _named_slots(lowered: str) -> Iterable[tuple[dict[str, str], re.Match[str]]]:
    """Each time-of-day slot ``lowered`` names, in the lexicon's order, with its match."""
    for slot in memory_lexicon()["time_of_day"]["slots"]:
        if m := re.search(slot["pattern"], lowered):
            yield slot, m


def _time_preferences(text: str) -> Iterable[Found]:
    lex = memory_lexicon()["time_of_day"]
    lowered = text.lower().replace("’", "'")
    for slot, m in _named_slots(lowered):
        prefers = re.search(lex["prefer"], lowered)
        habitual = (
            prefers
            or re.search(lex["habitual"], lowered)
            or m.group(0).endswith(("mornings", "evenings", "afternoons"))
        )
        if habitual and not (re.search(lex["one_off"], lowered) and not prefers):
            yield Found(
                "fact",
                f"Prefers {slot['label']} sessions",
                "time_preference",
                0.8 if prefers else 0.7,
            )
            return


def _availability(text: str) -> Iterable[Found]:
    lex = memory_lexicon()["availability"]
    lowered = text.lower()
    if not re.search(lex["routine"], lowered) or not re.search(lex["has_time"], lowered):
        return
    rng = re.search(lex["range"], lowered)
    if rng and int(rng.group(1)) < int(rng.group(2)):
        yield Found(
            "fact",
            f"Typical availability: {rng.group(1)}-{rng.group(2)} minutes",
            "time_preference",
            0.7,
        )
        return
    minutes = extract_minutes(text)
    if minutes and 5 <= minutes <= 600:
        yield Found("fact", f"Typical availability: {minutes} minutes", "time_preference", 0.7)


@cache
def _part_rx() -> str:
    lex = memory_lexicon()["injury"]
    return lex["part"].replace("{parts}", _alternatives(lex["parts"], longest_first=True))


def _injuries(text: str) -> Iterable[Found]:
    lex = memory_lexicon()["injury"]
    for sentence in re.split(r"(?<=[.!?])\s+", text.lower()):
        for m in re.finditer(_part_rx(), sentence):
            part = lex["parts"][m.group(1)]
            if re.search(lex["resolved"], sentence) and not re.search(lex["still"], sentence):
                yield Found("fact", f"{part[0].upper()}{part[1:]} issue resolved", "injury", 0.7)
                break
            compound = m.group(0) != m.group(1)
            if compound or re.search(lex["cue"], sentence):
                old = re.search(lex["old"], sentence)
                fact = f"Has {part} issue" + (" (old injury)" if old else "")
                yield Found("fact", fact, "injury", 0.8)
                break


def _lifestyle(text: str) -> Iterable[Found]:
    for rule in memory_lexicon()["lifestyle"]["facts"]:
        if re.search(rule["pattern"], text, _I):
            yield Found("fact", rule["fact"], "lifestyle", 0.7)


def is_about_when(text: str) -> bool:
    """Whether a stored fact says when the athlete trains: it names a time-of-day slot in any
    words ("Now trains after work"), and the rules read no injury or way of life in it, so a
    newer preference never hides "Sore knee after evening runs" from the prompt."""
    if not any(_named_slots(text.lower().replace("’", "'"))):
        return False
    return not any(_injuries(text)) and not any(_lifestyle(text))


@cache
def _goal_rx() -> tuple[str, str]:
    lex = memory_lexicon()["goal"]
    return (
        lex["event"].replace("{events}", _alternatives(lex["events"], longest_first=True)),
        lex["month"].replace("{months}", "|".join(lex["months"])),
    )


def _goals(text: str) -> Iterable[Found]:
    lex = memory_lexicon()["goal"]
    event_rx, month_rx = _goal_rx()
    lowered = text.lower()
    cue = re.search(lex["cue"], lowered)
    if cue:
        event = re.search(event_rx, lowered[cue.start() :])
        if event:
            month = re.search(month_rx, lowered)
            when = f" ({lex['months'][month.group(1)]})" if month else ""
            yield Found("fact", f"Goal: {lex['events'][event.group(1)]}{when}", "goal", 0.85)
    if re.search(lex["lose_weight"], lowered):
        yield Found("fact", "Wants to lose weight", "goal", 0.7)


def _patterns(text: str) -> Iterable[Found]:
    lex = memory_lexicon()["patterns"]
    lowered = text.lower()
    if re.search(lex["start_too_hard"], lowered):
        yield Found("pattern", "Tends to start sessions too hard")
    for m in re.finditer(lex["skip_day"].replace("{days}", "|".join(lex["days"])), lowered):
        yield Found("pattern", f"Often skips {lex['days'][m.group(1) or m.group(2)]} sessions")
    m = re.search(lex["times_a_week"], lowered)
    if m:
        word = m.group(1) or m.group(2)
        count = int(word) if word.isdigit() else lex["number_words"][word]
        yield Found("pattern", f"Trains {count} times a week")
    if re.search(lex["long_weekend"], lowered):
        yield Found("pattern", "Does long sessions at the weekend")


def _notes(text: str) -> Iterable[Found]:
    lowered = text.lower()
    for rule in memory_lexicon()["notes"]["notes"]:
        if re.search(rule["pattern"], lowered):
            yield Found("note", rule["note"])


_RULES: tuple[Callable[[str], Iterable[Found]], ...] = (
    _sports,
    _time_preferences,
    _availability,
    _injuries,
    _lifestyle,
    _goals,
    _patterns,
    _notes,
)


def extract_from_text(text: str) -> list[Found]:
    """Memory items in one athlete message, each once, in rule order."""
    found: list[Found] = []
    for rule in _RULES:
        for item in rule(text):
            if item not in found:
                found.append(item)
    return found
