"""Medical red flags in English and Dutch, and the fixed safe reply.

A red flag overrides every other decision: no workout, no plan change, no
model text, only the fixed reply telling the athlete to stop and get checked.
Safety must not depend on the model, so detection is plain pattern matching
over the symptom lexicon in ``red_flags.toml`` (families: cardiac, syncope,
neuro, respiratory, bleeding, acute injury, heat illness). A symptom negated
in its clause ("no chest pain", "geen pijn op de borst") does not count, and
figures of speech ("pain cave", "dead tired") are blanked out first.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache

from josi._errors import ConfigError
from josi.postprocess._rules import (
    Negation,
    Rule,
    blank,
    lexicon_patterns,
    negated,
    normalised_forms,
    read_lexicon,
    rule_hit,
    sentence,
)

LEXICON_FILE = "red_flags.toml"
FAMILIES = (
    "cardiac",
    "syncope",
    "neuro",
    "respiratory",
    "bleeding",
    "acute_injury",
    "heat_illness",
)

SAFE_REPLY = {
    "en": (
        "Please stop training for now. What you describe (such as chest pain, fainting, "
        "dizziness, trouble breathing, bleeding or a possible fracture) needs a doctor's check "
        "before you train again. If it is severe or does not pass, call your local emergency "
        "number right away."
    ),
    "nl": (
        "Stop voor nu met trainen. Wat je beschrijft (zoals pijn op de borst, flauwvallen, "
        "duizeligheid, benauwdheid, bloed ophoesten of een mogelijke breuk) moet een arts eerst "
        "bekijken voordat je weer traint. Is het ernstig of gaat het niet over, bel dan meteen 112."
    ),
}


@dataclass(frozen=True)
class _HeartRate:
    id: str
    family: str
    easy_max: int
    any_max: int
    resting_max: int
    after_term: re.Pattern[str]
    with_unit: re.Pattern[str]
    resting_term: re.Pattern[str]
    needs: re.Pattern[str]


@dataclass(frozen=True)
class _Lexicon:
    entries: tuple[Rule, ...]
    heart_rate: _HeartRate | None
    ids: tuple[str, ...]
    families: Mapping[str, str]
    mask: re.Pattern[str] | None
    negation: Negation


@cache
def _lexicon() -> _Lexicon:
    data = read_lexicon("josi.postprocess", LEXICON_FILE)
    patterns = lexicon_patterns(LEXICON_FILE, data)
    entries: list[Rule] = []
    families: dict[str, str] = {}
    for i, flag in enumerate(data.get("flag", [])):
        where = f"flag #{i + 1} ({flag.get('id', '?')})"
        if flag.get("family") not in FAMILIES or not isinstance(flag.get("id"), str):
            raise ConfigError(f"{LEXICON_FILE}: {where} needs an id and a family out of {FAMILIES}")
        entries.append(patterns.rule(flag, where))
        families.setdefault(flag["id"], flag["family"])
    hr = data.get("heart_rate")
    heart_rate = None
    if hr is not None:
        heart_rate = _HeartRate(
            id=hr["id"],
            family=hr["family"],
            easy_max=int(hr["easy_max_bpm"]),
            any_max=int(hr["any_max_bpm"]),
            resting_max=int(hr["resting_max_bpm"]),
            after_term=patterns.compile(hr["number_after_term"], "heart_rate.number_after_term"),
            with_unit=patterns.compile(hr["number_with_unit"], "heart_rate.number_with_unit"),
            resting_term=patterns.compile(hr["resting_term"], "heart_rate.resting_term"),
            needs=patterns.compile(hr["needs"], "heart_rate.needs"),
        )
        families.setdefault(heart_rate.id, heart_rate.family)
    ids = tuple(families)
    phrases = (data.get("non_medical") or {}).get("phrases") or []
    return _Lexicon(
        entries=tuple(entries),
        heart_rate=heart_rate,
        ids=ids,
        families=families,
        mask=patterns.mask(phrases, "non_medical.phrases"),
        negation=patterns.negation(data.get("negation") or {}),
    )


def red_flag_ids() -> tuple[str, ...]:
    """Every id ``detect_red_flags`` can return, in its fixed order."""
    return _lexicon().ids


def red_flag_family(flag: str) -> str | None:
    """The family of a red-flag id (``"chest_pain"`` -> ``"cardiac"``), or None."""
    return _lexicon().families.get(flag)


def _heart_rate_hit(lex: _Lexicon, hr: _HeartRate, text: str) -> bool:
    for pattern in (hr.after_term, hr.with_unit):
        for m in pattern.finditer(text):
            try:
                bpm = int(m.group("bpm"))
            except (IndexError, TypeError, ValueError):
                continue
            lo, hi = bounds = sentence(text, m.start(), m.end())
            part = text[lo:hi]
            if negated(lex.negation, text, m.start(), m.end(), bounds):
                continue
            if bpm > hr.any_max and bpm < 400:
                return True
            if bpm > hr.easy_max and bpm < 400 and hr.needs.search(part):
                return True
            if bpm > hr.resting_max and bpm < 400 and hr.resting_term.search(text, lo, m.end()):
                return True
    return False


def detect_red_flags(text: str) -> tuple[str, ...]:
    """Red-flag ids found in ``text`` (e.g. ``("chest_pain",)``), in the lexicon's fixed order.

    Format characters are matched both removed and as spaces (see ``josi.lang._normalize``);
    a flag found in either form counts.
    """
    if not isinstance(text, str) or not text.strip():
        return ()
    lex = _lexicon()
    found: set[str] = set()
    # Not yet read with stretched letters ("chest paaain"): the dataset keeps a noisy red-flag
    # message only while this function still flags it, so that reading changes training rows
    # and the shipped model with them. It comes with the next retrain (docs/architecture.md).
    for norm in normalised_forms(text, stretched=False):
        found |= _flags_in(lex, norm)
    return tuple(i for i in lex.ids if i in found)


def _flags_in(lex: _Lexicon, norm: str) -> set[str]:
    norm = blank(lex.mask, norm)
    found: set[str] = set()
    for entry in lex.entries:
        if entry.id not in found and rule_hit(lex.negation, entry, norm):
            found.add(entry.id)
    hr = lex.heart_rate
    if hr is not None and hr.id not in found and _heart_rate_hit(lex, hr, norm):
        found.add(hr.id)
    return found


def red_flag_reply(lang: str) -> str:
    """The fixed safe reply in ``lang`` ("en" or "nl"; anything else gets English)."""
    return SAFE_REPLY.get(lang, SAFE_REPLY["en"])
