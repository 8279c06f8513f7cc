"""Surface noise for athlete messages: the way people really type on a phone.

A noisy message must mean exactly what its source meant, so every change is
checked against the readers the runtime relies on (duration, sport, red flags,
language). A change that would alter any of them is not made.
"""

from __future__ import annotations

import random
import re
from functools import cache
from typing import Any

from josi.contracts import dumps_request

# Neighbouring keys on a QWERTY phone keyboard (the layout Dutch phones use too).
_NEIGHBOURS: dict[str, str] = {
    "q": "wa",
    "w": "qes",
    "e": "wrd",
    "r": "etf",
    "t": "ryg",
    "y": "tuh",
    "u": "yij",
    "i": "uok",
    "o": "ipl",
    "p": "ol",
    "a": "qsz",
    "s": "adw",
    "d": "sfe",
    "f": "dgr",
    "g": "fht",
    "h": "gjy",
    "j": "hku",
    "k": "jli",
    "l": "ko",
    "z": "xas",
    "x": "zcs",
    "c": "xvd",
    "v": "cbf",
    "b": "vng",
    "n": "bmh",
    "m": "nj",
}
_EMOJI = ("🙂", "😅", "💪", "🙏", "👍", "😬", "🤔", "😴", "🔥")
_WORD = re.compile(r"[^\W\d_]+")
_TRAILING = re.compile(r"[.!?]+$")
# Words that carry the request itself: a typo here would change what is asked, not how.
_KEY_WORDS = frozenset(
    {
        "skip",
        "swap",
        "switch",
        "move",
        "easy",
        "easier",
        "hard",
        "harder",
        "sick",
        "ill",
        "fever",
        "cold",
        "flu",
        "travel",
        "traveling",
        "travelling",
        "holiday",
        "goal",
        "zone",
        "today",
        "tomorrow",
        "why",
        "what",
        "how",
        "not",
        "no",
        "don't",
        "can't",
        "cant",
        "overslaan",
        "omwisselen",
        "ruilen",
        "wissel",
        "verplaats",
        "rustig",
        "rustiger",
        "zwaar",
        "zwaarder",
        "ziek",
        "koorts",
        "griep",
        "verkouden",
        "reis",
        "vakantie",
        "doel",
        "vandaag",
        "morgen",
        "waarom",
        "wat",
        "hoe",
        "niet",
        "geen",
        "minutes",
        "minuten",
        "hour",
        "hours",
        "uur",
        "uurtje",
        "half",
        "kwartier",
        "min",
        "mins",
        "max",
        "ish",
        "een",
        "an",
        "and",
        "en",
        "green",
        "yellow",
        "orange",
        "red",
        "amber",
        "groen",
        "geel",
        "oranje",
        "rood",
        "base",
        "build",
        "peak",
        "taper",
        "recovery",
        "basis",
        "opbouw",
        "piek",
        "herstel",
        "intervals",
        "intervallen",
        "volume",
        "rest",
        "rustdag",
    }
)


@cache
def _key_words() -> frozenset[str]:
    """Fixed key words plus every word of a sport name and of a fatigue, injury or indoor phrase."""
    from josi.data._templates import templates
    from josi.knowledge import sports

    phrases: list[str] = []
    for spec in sports()["sports"].values():
        for names in spec["synonyms"].values():
            phrases.extend(names)
    slots = templates("slots")
    for table in ("fatigue", "injury"):
        for lang in ("en", "nl"):
            for values in slots[table][lang].values():
                phrases.extend(values)
    for lang in ("en", "nl"):
        phrases.extend(slots["indoor"][lang])
    words = {w.lower() for phrase in phrases for w in _WORD.findall(phrase)}
    return frozenset(_KEY_WORDS | words)


_EMOJI_RE = re.compile("[\U0001f300-\U0001faff\u2600-\u27bf]")


def _meaning(text: str) -> tuple[Any, ...]:
    from josi.lang import detect_language
    from josi.postprocess import detect_red_flags, extract_minutes, find_sports

    return extract_minutes(text), find_sports(text), detect_red_flags(text), detect_language(text)


def _candidates(text: str) -> list[re.Match[str]]:
    keys = _key_words()
    return [
        m for m in _WORD.finditer(text) if len(m.group()) >= 4 and m.group().lower() not in keys
    ]


def _typo(rng: random.Random, text: str) -> str:
    words = _candidates(text)
    if not words:
        return text
    word = rng.choice(words)
    positions = [i for i, ch in enumerate(word.group()) if ch.lower() in _NEIGHBOURS and i > 0]
    if not positions:
        return text
    i = rng.choice(positions)
    ch = word.group()[i]
    new = rng.choice(_NEIGHBOURS[ch.lower()])
    new = new.upper() if ch.isupper() else new
    start = word.start() + i
    return text[:start] + new + text[start + 1 :]


def _double(rng: random.Random, text: str) -> str:
    words = _candidates(text)
    if not words:
        return text
    word = rng.choice(words)
    vowels = [i for i, ch in enumerate(word.group()) if ch.lower() in "aeiou"]
    i = rng.choice(vowels) if vowels else len(word.group()) - 1
    start = word.start() + i
    return text[: start + 1] + text[start] * rng.choice((1, 2)) + text[start + 1 :]


def noisy_message(rng: random.Random, text: str) -> str:
    """A variant of ``text`` with realistic surface noise, or ``text`` itself when no safe change
    exists.

    The number of random draws is fixed per call, so one message's noise never shifts another's.
    """
    rolls = [rng.random() for _ in range(5)]
    seeds = [rng.getrandbits(64) for _ in range(3)]
    reference = _meaning(text)
    out = text
    steps = [
        (rolls[0] < 0.6, lambda s: s.lower()),
        (rolls[1] < 0.6, lambda s: _TRAILING.sub("", s.rstrip()).rstrip()),
        (rolls[2] < 0.5, lambda s: _typo(random.Random(seeds[0]), s)),
        (rolls[3] < 0.3, lambda s: _double(random.Random(seeds[1]), s)),
        (
            rolls[4] < 0.25 and not _EMOJI_RE.search(text),
            lambda s: f"{s} {random.Random(seeds[2]).choice(_EMOJI)}",
        ),
    ]
    for wanted, step in steps:
        if not wanted:
            continue
        candidate = step(out)
        if candidate.strip() and _meaning(candidate) == reference:
            out = candidate
    if out == text and text != text.lower() and _meaning(text.lower()) == reference:
        out = text.lower()
    return out


def add_noise(rng: random.Random, row: dict[str, Any]) -> dict[str, Any]:
    """The same example with a noisy message; the target keeps the message verbatim."""
    text = noisy_message(rng, row["user"])
    if text == row["user"]:
        return row
    expected = dict(row["expected"])
    if expected.get("question") == expected["free_text"]:
        expected["question"] = text
    expected["free_text"] = text
    completion = dumps_request(expected)
    noisy = dict(row)
    noisy.update(
        user=text,
        expected=expected,
        completion=completion,
        tags=sorted(set(row["tags"]) | {"noisy"}),
    )
    return noisy
