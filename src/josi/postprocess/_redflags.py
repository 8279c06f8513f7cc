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
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from josi._errors import ConfigError
from josi.lang import normalize_for_matching

LEXICON_FILE = "red_flags.toml"
FAMILIES = ("cardiac", "syncope", "neuro", "respiratory", "bleeding", "acute_injury", "heat_illness")
# Longer messages are cut here; the symptom of a chat message is never that far in.
_MAX_CHARS = 20_000

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

_MACRO = re.compile(r"<([A-Z][A-Z_]*)>")
_SENTENCE_END = re.compile(r"[!?\n]|(?<!\d)\.|\.(?!\d)")
_APOSTROPHES = re.compile("['\u2019\u2018`\u00b4]")
_ELLIPSIS = re.compile(r"\u2026|\.{2,}")


@dataclass(frozen=True)
class _Entry:
    id: str
    family: str
    match: re.Pattern[str]
    needs: re.Pattern[str] | None
    unless: re.Pattern[str] | None


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
    entries: tuple[_Entry, ...]
    heart_rate: _HeartRate | None
    ids: tuple[str, ...]
    families: Mapping[str, str]
    mask: re.Pattern[str] | None
    neg_before: re.Pattern[str]
    neg_after: re.Pattern[str]
    clause_break: re.Pattern[str]


def _expand(pattern: str, macros: Mapping[str, str]) -> str:
    for _ in range(8):
        expanded = _MACRO.sub(lambda m: _macro(m.group(1), macros), pattern)
        if expanded == pattern:
            break
        pattern = expanded
    # In the lexicon " ?" is optional whitespace and a space is any run of whitespace.
    return pattern.replace(" ?", r"\s*").replace(" ", r"\s+")


def _macro(name: str, macros: Mapping[str, str]) -> str:
    if name not in macros:
        raise ConfigError(f"{LEXICON_FILE}: unknown macro <{name}>; define it under [macros]")
    return macros[name]


def _compile(patterns: Any, macros: Mapping[str, str], where: str, *, anchored: bool = True) -> re.Pattern[str]:
    if isinstance(patterns, str):
        patterns = [patterns]
    if not isinstance(patterns, list) or not patterns or not all(isinstance(p, str) for p in patterns):
        raise ConfigError(f"{LEXICON_FILE}: {where} must be a non-empty list of patterns")
    body = "|".join(f"(?:{_expand(p, macros)})" for p in patterns)
    try:
        return re.compile(r"(?<![\w])(?:" + body + ")" if anchored else body)
    except re.error as exc:
        raise ConfigError(f"{LEXICON_FILE}: {where} has an invalid pattern: {exc}") from exc


@cache
def _lexicon() -> _Lexicon:
    try:
        raw = resources.files("josi.postprocess").joinpath(LEXICON_FILE).read_text(encoding="utf-8")
        data = tomllib.loads(raw)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read the red-flag lexicon {LEXICON_FILE}: {exc}") from exc
    macros = data.get("macros", {})
    entries: list[_Entry] = []
    for i, flag in enumerate(data.get("flag", [])):
        where = f"flag #{i + 1} ({flag.get('id', '?')})"
        if flag.get("family") not in FAMILIES or not isinstance(flag.get("id"), str):
            raise ConfigError(f"{LEXICON_FILE}: {where} needs an id and a family out of {FAMILIES}")
        entries.append(_Entry(
            id=flag["id"], family=flag["family"],
            match=_compile(flag.get("match"), macros, f"{where}.match"),
            needs=_compile(flag["needs"], macros, f"{where}.needs") if "needs" in flag else None,
            unless=_compile(flag["unless"], macros, f"{where}.unless") if "unless" in flag else None,
        ))
    hr = data.get("heart_rate")
    heart_rate = None
    if hr is not None:
        heart_rate = _HeartRate(
            id=hr["id"], family=hr["family"], easy_max=int(hr["easy_max_bpm"]),
            any_max=int(hr["any_max_bpm"]), resting_max=int(hr["resting_max_bpm"]),
            after_term=_compile(hr["number_after_term"], macros, "heart_rate.number_after_term"),
            with_unit=_compile(hr["number_with_unit"], macros, "heart_rate.number_with_unit"),
            resting_term=_compile(hr["resting_term"], macros, "heart_rate.resting_term"),
            needs=_compile(hr["needs"], macros, "heart_rate.needs"),
        )
    ids: list[str] = []
    families: dict[str, str] = {}
    for entry in entries:
        if entry.id not in ids:
            ids.append(entry.id)
            families[entry.id] = entry.family
    if heart_rate is not None and heart_rate.id not in ids:
        ids.append(heart_rate.id)
        families[heart_rate.id] = heart_rate.family
    phrases = (data.get("non_medical") or {}).get("phrases") or []
    neg = data.get("negation") or {}
    return _Lexicon(
        entries=tuple(entries), heart_rate=heart_rate, ids=tuple(ids), families=families,
        mask=_compile(phrases, macros, "non_medical.phrases") if phrases else None,
        neg_before=_compile(neg["before"], macros, "negation.before", anchored=False),
        neg_after=_compile(neg["after"], macros, "negation.after", anchored=False),
        clause_break=_compile(neg["clause_break"], macros, "negation.clause_break", anchored=False),
    )


def red_flag_ids() -> tuple[str, ...]:
    """Every id ``detect_red_flags`` can return, in its fixed order."""
    return _lexicon().ids


def red_flag_family(flag: str) -> str | None:
    """The family of a red-flag id (``"chest_pain"`` -> ``"cardiac"``), or None."""
    return _lexicon().families.get(flag)


def _normalise(text: str, format_char_as: str = "") -> str:
    text = normalize_for_matching(text[:_MAX_CHARS], format_char_as=format_char_as).lower()
    text = _APOSTROPHES.sub("", text)
    # An ellipsis trails a thought ("went to 220... while walking"); it does not end the sentence.
    return _ELLIPSIS.sub(" - ", text)


def _sentence(text: str, start: int, end: int) -> tuple[int, int]:
    left = 0
    for m in _SENTENCE_END.finditer(text, 0, start):
        left = m.end()
    right_match = _SENTENCE_END.search(text, end)
    return left, right_match.start() if right_match else len(text)


def _negated(lex: _Lexicon, text: str, start: int, end: int, bounds: tuple[int, int]) -> bool:
    before = lex.clause_break.split(text[bounds[0]:start])[-1]
    if lex.neg_before.search(before):
        return True
    after = lex.clause_break.split(text[end:bounds[1]])[0]
    return bool(lex.neg_after.match(after))


def _entry_hit(lex: _Lexicon, entry: _Entry, text: str) -> bool:
    for m in entry.match.finditer(text):
        lo, hi = bounds = _sentence(text, m.start(), m.end())
        sentence = text[lo:hi]
        if entry.unless is not None and entry.unless.search(sentence):
            continue
        if entry.needs is not None and not entry.needs.search(sentence):
            continue
        if _negated(lex, text, m.start(), m.end(), bounds):
            continue
        return True
    return False


def _heart_rate_hit(lex: _Lexicon, hr: _HeartRate, text: str) -> bool:
    for pattern in (hr.after_term, hr.with_unit):
        for m in pattern.finditer(text):
            try:
                bpm = int(m.group("bpm"))
            except (IndexError, TypeError, ValueError):
                continue
            lo, hi = bounds = _sentence(text, m.start(), m.end())
            sentence = text[lo:hi]
            if _negated(lex, text, m.start(), m.end(), bounds):
                continue
            if bpm > hr.any_max and bpm < 400:
                return True
            if bpm > hr.easy_max and bpm < 400 and hr.needs.search(sentence):
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
    for norm in dict.fromkeys((_normalise(text), _normalise(text, format_char_as=" "))):
        found |= _flags_in(lex, norm)
    return tuple(i for i in lex.ids if i in found)


def _flags_in(lex: _Lexicon, norm: str) -> set[str]:
    if lex.mask is not None:
        norm = lex.mask.sub(lambda m: " " * len(m.group()), norm)
    found: set[str] = set()
    for entry in lex.entries:
        if entry.id not in found and _entry_hit(lex, entry, norm):
            found.add(entry.id)
    hr = lex.heart_rate
    if hr is not None and hr.id not in found and _heart_rate_hit(lex, hr, norm):
        found.add(hr.id)
    return found


def red_flag_reply(lang: str) -> str:
    """The fixed safe reply in ``lang`` ("en" or "nl"; anything else gets English)."""
    return SAFE_REPLY.get(lang, SAFE_REPLY["en"])
