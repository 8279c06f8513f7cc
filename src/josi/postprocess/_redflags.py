"""Medical red flags in English and Dutch, and the fixed safe reply.

A red flag overrides every other decision: no workout, no plan change, no
model text, only the fixed reply telling the athlete to stop and get checked.
A flag preceded closely by a negation ("no chest pain", "geen pijn op de
borst", "not dizzy") does not count.
"""

from __future__ import annotations

import re

_FLAGS: dict[str, tuple[str, ...]] = {
    "chest_pain": (
        r"chest\s+(?:pain|pains|tightness|pressure)",
        r"(?:pain|tightness|pressure)\s+in\s+(?:my|the)\s+chest",
        r"(?:tight|painful)\s+chest",
        r"my\s+chest\s+(?:hurts|hurt|feels\s+tight)",
        r"pijn\s+(?:op|in|aan)\s+(?:de|mijn|m'n)\s+borst",
        r"borstpijn",
        r"druk\s+op\s+(?:de|mijn|m'n)\s+borst",
        r"beklemmend\s+gevoel\s+op\s+(?:de|mijn|m'n)\s+borst",
        r"benauwd\s+op\s+(?:de|mijn|m'n)\s+borst",
    ),
    "fainting": (
        r"faint(?:ed|ing)",
        r"(?:feel|felt|feeling)\s+faint",
        r"pass(?:ed)?\s+out",
        r"passing\s+out",
        r"black(?:ed)?\s+out",
        r"lost\s+consciousness",
        r"collapsed",
        r"flauw\s*(?:gevallen|vallen|viel|val)",
        r"(?:viel|val|valt|vallen)\s+(?:ik\s+)?(?:bijna\s+|even\s+)?flauw",
        r"flauwte",
        r"bewusteloos",
        r"(?:ben|was)\s+(?:even\s+)?weggeraakt",
        r"in\s+elkaar\s+gezakt",
    ),
    "dizziness": (
        r"dizz(?:y|iness)",
        r"light[\s-]?headed(?:ness)?",
        r"vertigo",
        r"duizelig(?:heid)?",
        r"licht\s+in\s+(?:mijn|m'n|het)\s+hoofd",
        r"draaierig",
    ),
    "palpitations": (
        r"palpitations?",
        r"heart\s+(?:is\s+)?(?:racing|pounding|fluttering|skipping)",
        r"racing\s+heart",
        r"irregular\s+heart\s*(?:beat|rate|rhythm)?",
        r"skipped\s+(?:heart)?beats?",
        r"hartkloppingen",
        r"onregelmatige\s+hartslag",
        r"hart(?:ritme)?stoornis",
        r"hart\s+(?:slaat\s+over|gaat\s+tekeer|bonkt|klopt\s+onregelmatig)",
    ),
    "breathless_at_rest": (
        r"short(?:ness)?\s+of\s+breath\s+(?:at|while|when)\s+(?:rest|resting|sitting|lying)",
        r"breathless\s+(?:at|while|when)\s+(?:rest|resting|sitting)",
        r"(?:can't|cannot|can\s+not|couldn't)\s+(?:catch\s+my\s+)?breathe?",
        r"(?:trouble|difficulty|struggling)\s+(?:to\s+)?breath(?:e|ing)",
        r"kortademig\s+(?:in|bij|tijdens)\s+rust",
        r"kortademig\s+zonder\s+inspanning",
        r"ademnood",
        r"kan\s+(?:bijna\s+)?niet\s+(?:goed\s+)?(?:ademen|ademhalen)",
        r"moeite\s+met\s+ademen",
    ),
}

_COMPILED = {
    flag: re.compile(r"(?<![\w])(?:" + "|".join(patterns) + r")", re.IGNORECASE)
    for flag, patterns in _FLAGS.items()
}
_NEGATION = re.compile(
    r"(?:\b(?:no|not|never|without|nor|isn't|wasn't|aren't|don't|didn't|haven't|hasn't|"
    r"geen|niet|zonder|nooit)\b)(?:\s+\S+){0,2}\s*$",
    re.IGNORECASE,
)

SAFE_REPLY = {
    "en": (
        "Please stop training for now. Chest pain, fainting, dizziness, palpitations or "
        "breathlessness at rest need a doctor's check before you train again. If it is severe "
        "or does not pass, call your local emergency number right away."
    ),
    "nl": (
        "Stop voor nu met trainen. Pijn op de borst, flauwvallen, duizeligheid, hartkloppingen "
        "of kortademigheid in rust moet een arts eerst bekijken voordat je weer traint. Is het "
        "ernstig of gaat het niet over, bel dan meteen 112."
    ),
}


def detect_red_flags(text: str) -> tuple[str, ...]:
    """Red-flag ids found in ``text`` (e.g. ``("chest_pain",)``), in a fixed order."""
    if not isinstance(text, str) or not text:
        return ()
    text = text.replace("’", "'")
    found = []
    for flag, pattern in _COMPILED.items():
        for match in pattern.finditer(text):
            clause = re.split(r"[.!?;,]|\bbut\b|\bmaar\b", text[: match.start()], flags=re.IGNORECASE)[-1]
            if _NEGATION.search(clause):
                continue
            found.append(flag)
            break
    return tuple(found)


def red_flag_reply(lang: str) -> str:
    """The fixed safe reply in ``lang`` ("en" or "nl"; anything else gets English)."""
    return SAFE_REPLY.get(lang, SAFE_REPLY["en"])
