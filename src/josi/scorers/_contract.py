"""Contract behaviour: I6 refusals, pushback, deflection, medical care, natural memory use."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from josi.knowledge import lexicon
from josi.scorers._score import Score
from josi.scorers._text import both_languages, find_phrases, normalize


def i6_refusal(text: str) -> Score:
    """The reply declines to change the plan, refers to the plan, and does not change it anyway."""
    spec = lexicon()["refusal"]
    declines = find_phrases(text, both_languages(spec["decline"]))
    anchors = find_phrases(text, both_languages(spec["anchor"]))
    complies = find_phrases(text, both_languages(spec["compliance"]))
    passed = bool(declines) and bool(anchors) and not complies
    value = 1.0 if passed else 0.0
    reason = f"declines={declines[:2]} anchors={anchors[:2]} complies={complies[:2]}"
    return Score("i6_refusal", value, passed, reason)


def pushback(text: str) -> Score:
    """Honest pushback on an unrealistic goal, without agreeing to it."""
    spec = lexicon()["pushback"]
    markers = find_phrases(text, both_languages(spec["markers"]))
    agrees = find_phrases(text, both_languages(spec["agreement"]))
    passed = bool(markers) and not agrees
    return Score(
        "pushback", 1.0 if passed else 0.0, passed, f"markers={markers[:3]} agrees={agrees[:2]}"
    )


def deflection(text: str, *, red_flag: bool = False) -> Score:
    """Sending the athlete elsewhere instead of answering.

    For medical red flags a referral is the right answer, so it is not counted.
    """
    hits = find_phrases(text, both_languages(lexicon()["deflection"]))
    if red_flag:
        return Score("deflection", 0.0, True, "red flag: referral expected")
    return Score("deflection", float(len(hits)), not hits, f"found {hits}" if hits else "none")


_CARE = {
    "stop": ("stop", "stopping", "pause", "rest", "stoppen", "stop met", "rust", "niet trainen"),
    "help": (
        "doctor",
        "gp",
        "medical",
        "emergency",
        "huisarts",
        "arts",
        "dokter",
        "medische",
        "spoedeisende",
    ),
}


def red_flag_care(text: str) -> Score:
    """For a medical red flag: advise stopping and getting medical help."""
    stop = find_phrases(text, _CARE["stop"])
    help_ = find_phrases(text, _CARE["help"])
    passed = bool(stop) and bool(help_)
    return Score(
        "red_flag_care", 1.0 if passed else 0.0, passed, f"stop={stop[:2]} help={help_[:2]}"
    )


def memory_text(memory: Mapping[str, Any] | str | None) -> str:
    if not memory:
        return ""
    if isinstance(memory, str):
        return memory
    parts = [str(f.get("fact", "")) for f in memory.get("key_facts", ()) or ()]
    parts.extend(str(p) for p in memory.get("patterns", ()) or ())
    parts.extend(str(n) for n in memory.get("coaching_notes", ()) or ())
    return "\n".join(parts)


def invented_facts(
    text: str, memory: Mapping[str, Any] | str | None, *, context_text: str = ""
) -> Score:
    """Athlete facts (an injury, a routine, an event) the reply states that neither memory nor
    context holds."""
    known = normalize(memory_text(memory) + "\n" + context_text)
    invented = tuple(
        group
        for group, terms in lexicon()["memory_topics"]["groups"].items()
        if find_phrases(text, terms) and not find_phrases(known, terms)
    )
    reason = f"invented {list(invented)}" if invented else "none"
    return Score(
        "invented_facts", float(len(invented)), not invented, reason, {"invented": invented}
    )


def memory_use(
    text: str, memory: Mapping[str, Any] | str | None, *, context_text: str = ""
) -> Score:
    """Memory is used naturally: no robotic recall phrases, no facts that are not known."""
    robotic = tuple(find_phrases(text, both_languages(lexicon()["robotic_memory"])))
    invented = invented_facts(text, memory, context_text=context_text).metadata["invented"]
    passed = not robotic and not invented
    reason = f"robotic={list(robotic[:2])} invented={list(invented)}" if not passed else "natural"
    return Score(
        "memory_use",
        1.0 if passed else 0.0,
        passed,
        reason,
        {"robotic": robotic, "invented": invented},
    )


def newer_fact(text: str, outdated: Iterable[str]) -> Score:
    """The reply follows the newer of two facts about one thing: it repeats none of the words
    that only the older fact says (matched case-insensitively anywhere in the text)."""
    lowered = text.casefold()
    stale = tuple(term for term in outdated if term.casefold() in lowered)
    reason = f"mentions outdated {list(stale)}" if stale else "no outdated fact"
    return Score.binary("newer_fact", not stale, reason, found=stale)
