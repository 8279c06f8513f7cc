"""Shared pieces of the simulated world: memory, engine results, interpreter targets."""

from __future__ import annotations

import datetime as _dt
import random
from typing import Any

from josi.contracts import dumps_request
from josi.data._contexts import canonical_level
from josi.data._templates import templates
from josi.knowledge import limits, phases, readiness, sports, zones
from josi.routing import zone_cap, zone_order

PERSONAS = ("balanced", "direct", "technical", "encouraging")
MEMORY_KINDS = ("morning", "evening", "knee", "half_marathon", "night_shift", "kids")
_SPORT_FACT = {"en": "Primary sport: {name}", "nl": "Hoofdsport: {name}"}
_SPORT_NAME_NL = {
    "run": "hardlopen",
    "bike": "fietsen",
    "ski": "langlaufen",
    "skate": "schaatsen",
    "strength": "krachttraining",
    "other": "zwemmen",
}
_NOTES = {
    "en": ["Responds well to clear, short explanations", "Likes to know the why behind a session"],
    "nl": ["Houdt van korte, duidelijke uitleg", "Wil graag weten waarom een training zo is"],
}
_PATTERNS = {
    "en": ["Often skips sessions on Mondays", "Tends to start intervals too fast"],
    "nl": ["Slaat op maandag vaak een training over", "Begint intervallen vaak te snel"],
}


def confidence(kind: str) -> float:
    return float(limits()["interpreter"][f"confidence_{kind}"])


def target(fields: dict[str, Any]) -> tuple[dict[str, Any], str]:
    """Canonical dict and its exact JSON text (schema-validated)."""
    text = dumps_request(fields)
    import json

    return json.loads(text), text


def _stamp(rng: random.Random) -> str:
    moment = _dt.datetime(2025, 9, 1, 7, 0) + _dt.timedelta(
        days=rng.randrange(0, 120), hours=rng.randrange(0, 12)
    )
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def make_memory(
    rng: random.Random, lang: str, *, kinds: tuple[str, ...] = (), sport: str | None = None
) -> dict[str, Any]:
    facts: list[dict[str, Any]] = []
    if sport is not None:
        name = (
            sports()["sports"][sport]["profile_names"][0] if lang == "en" else _SPORT_NAME_NL[sport]
        )
        facts.append(
            {
                "fact": _SPORT_FACT[lang].format(name=name),
                "category": "sport",
                "source": "conversation",
                "confidence": 0.9,
                "learned_at": _stamp(rng),
            }
        )
    table = templates("coach")["memory_facts"]
    category = {
        "morning": "time_preference",
        "evening": "time_preference",
        "knee": "injury",
        "half_marathon": "goal",
        "night_shift": "lifestyle",
        "kids": "lifestyle",
    }
    for kind in kinds:
        facts.append(
            {
                "fact": table[kind]["fact"][lang],
                "category": category[kind],
                "source": rng.choice(("conversation", "behavior")),
                "confidence": rng.choice((0.7, 0.8, 0.9)),
                "learned_at": _stamp(rng),
            }
        )
    memory: dict[str, Any] = {"key_facts": facts}
    if rng.random() < 0.4:
        memory["coaching_notes"] = [rng.choice(_NOTES[lang])]
    if rng.random() < 0.3:
        memory["patterns"] = [rng.choice(_PATTERNS[lang])]
    return memory


def make_memory_update(rng: random.Random, lang: str, kind: str) -> dict[str, Any]:
    """Memory in which a newer fact replaces an older one about the same thing (templates
    ``coach.memory_updates``), stored in the order learned, as the extractor appends; a third,
    unrelated fact sometimes sits among them."""
    update = templates("coach")["memory_updates"][kind]
    older = _stamp(rng)
    newer = (
        _dt.datetime.strptime(older, "%Y-%m-%dT%H:%M:%SZ")
        + _dt.timedelta(days=rng.randrange(20, 150), hours=rng.randrange(0, 12))
    ).strftime("%Y-%m-%dT%H:%M:%SZ")
    facts = [
        {
            "fact": update["old"][lang],
            "category": update["category"],
            "source": rng.choice(("conversation", "behavior")),
            "confidence": rng.choice((0.7, 0.8, 0.9)),
            "learned_at": older,
        },
        {
            "fact": rng.choice(update["new"][lang]),
            "category": update["category"],
            "source": "conversation",
            "confidence": rng.choice((0.8, 0.9)),
            "learned_at": newer,
        },
    ]
    if rng.random() < 0.4:
        other = make_memory(rng, lang, kinds=(rng.choice(("knee", "night_shift", "kids")),))
        facts.extend(f for f in other["key_facts"] if f["fact"] != update["old"][lang])
    memory = make_memory(rng, lang)
    memory["key_facts"] = sorted(facts, key=lambda f: f["learned_at"])
    return memory


def level_word(ctx: dict[str, Any], lang: str) -> str:
    raw = ctx["readiness"]["level"]
    if lang == "en":
        return raw
    return readiness()["levels"][canonical_level(ctx)]["label"]["nl"]


_BULLETS = {
    "en": {
        "hard_yesterday": "harder session yesterday, so today stays controlled",
        "load_high": "load has been high this week",
        "fresh": "sleep and recovery look solid",
        "consistency": "steady weeks are paying off",
        "meso": "day {meso_day} of the current block",
    },
    "nl": {
        "hard_yesterday": "gisteren een zwaardere training, dus vandaag blijft beheerst",
        "load_high": "de belasting was hoog deze week",
        "fresh": "slaap en herstel zien er goed uit",
        "consistency": "de regelmatige weken betalen zich uit",
        "meso": "dag {meso_day} van het huidige blok",
    },
}
_PHASE_BULLET = {
    "en": "{phase} phase: {meaning}",
    "nl": "{phase}fase: {meaning}",
}
_SUMMARY = {
    "en": {
        "easy": "{d}-min easy {noun}, zones 1-2",
        "tempo": "{d}-min {noun} with tempo blocks in zone 3",
        "hard": "{d}-min {noun}: {label}",
        "rest": "{d}-min recovery {noun}",
    },
    "nl": {
        "easy": "{d} minuten rustige {noun}, zone 1-2",
        "tempo": "{d} minuten {noun} met tempoblokken in zone 3",
        "hard": "{d} minuten {noun}: {label}",
        "rest": "{d} minuten herstel-{noun}",
    },
}


def make_gatc_result(
    rng: random.Random, ctx: dict[str, Any], lang: str, sport: str
) -> dict[str, Any]:
    session = ctx["planned_session"]
    zone, d, label = (
        session["target_zone"],
        session["target_duration_min"],
        session["structure_label"],
    )
    noun = sports()["sports"][sport]["noun"][lang]
    kind = (
        "rest"
        if zone == "R"
        else "easy"
        if zone in ("Z1", "Z2")
        else "tempo"
        if zone == "Z3"
        else "hard"
    )
    summary = _SUMMARY[lang][kind].format(d=d, noun=noun, label=label)
    level = canonical_level(ctx)
    spec = readiness()["levels"][level]
    bullets = [
        f"{'Readiness' if lang == 'en' else 'Status'} {level_word(ctx, lang)}: "
        f"{spec['cap_phrase'][lang]}"
    ]
    phase = session.get("phase")
    if phase:
        meaning = phases()["phases"][phase]["short"][lang]
        word = phases()["phases"][phase]["label"][lang]
        bullets.append(_PHASE_BULLET[lang].format(phase=word.capitalize(), meaning=meaning))
    options = ["consistency", "fresh"] if level == "Green" else ["hard_yesterday", "load_high"]
    if session.get("meso_day"):
        options.append("meso")
    extra = _BULLETS[lang][rng.choice(options)].format(meso_day=session.get("meso_day"))
    bullets.append(extra[0].upper() + extra[1:])
    rng.shuffle(bullets)
    result: dict[str, Any] = {
        "workout_summary": summary,
        "rationale_bullets": bullets[: rng.choice((2, 3))],
    }
    cap = zone_cap(level)
    if (
        level != "Green"
        and zone_order().index(zone) <= zone_order().index(cap)
        and rng.random() < 0.7
    ):
        word = level_word(ctx, lang)
        result["safety_caps_applied"] = (
            f"max {cap} due to {word} readiness"
            if lang == "en"
            else f"max {cap} vanwege status {word}"
        )
    return result


def zone_words(zone: str, lang: str) -> dict[str, str]:
    spec = zones()["zones"][zone]
    return {"zone_label": spec["label"][lang], "zone_name": spec["name"][lang]}


def zone_ref(rng: random.Random, zone: str, lang: str) -> str:
    """How an athlete names a zone in a question."""
    if zone == "R":
        return (
            rng.choice(("the recovery zone", "recovery pace"))
            if lang == "en"
            else rng.choice(("de herstelzone", "hersteltempo"))
        )
    n = zone[1:]
    options = (f"Zone {n}", f"zone {n}", f"Z{n}") if lang == "en" else (f"zone {n}", f"Z{n}")
    return rng.choice(options)
