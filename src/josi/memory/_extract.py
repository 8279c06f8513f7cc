"""Athlete memory from conversations (English and Dutch), as the plan's section 8.

Only the athlete's own turns are read. Each rule turns a statement into a
short canonical English fact ("Primary sport: running", "Has knee issue").
Facts carry a key (derived from the fact text, so stored memory needs no
extra field): the same fact again raises its confidence; a different fact
under the same key replaces it, because the newer statement wins. Caps: 15
facts (lowest confidence dropped first), 5 patterns, 5 coaching notes
(oldest dropped first).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from functools import cache
from typing import Any

from josi.postprocess import extract_minutes, normalize_sport

MAX_FACTS, MAX_PATTERNS, MAX_NOTES = 15, 5, 5
MAX_TEXT = 160
REPEAT_BONUS = 0.05
MAX_CONFIDENCE = 0.99
SOURCE = "conversation"

_I = re.IGNORECASE
_SPORT_NAME = {"run": "running", "bike": "cycling", "ski": "skiing", "skate": "skating",
               "strength": "strength training"}
_OTHER_SPORT = {"swim": "swimming", "swimmer": "swimming", "zwemmer": "swimming",
                "zwemmen": "swimming", "swimming": "swimming", "triathlete": "triathlon",
                "triatleet": "triathlon", "triathlon": "triathlon", "triatlon": "triathlon",
                "rowing": "rowing", "roeien": "rowing"}
_ROLE_SPORT = {"runner": "run", "hardloper": "run", "loper": "run", "cyclist": "bike",
               "rider": "bike", "wielrenner": "bike", "fietser": "bike", "skater": "skate",
               "schaatser": "skate", "skier": "ski", "langlaufer": "ski"}
_PARTS = {
    "knee": "knee", "knie": "knee", "ankle": "ankle", "enkel": "ankle",
    "achilles": "Achilles", "achillespees": "Achilles", "hamstring": "hamstring",
    "calf": "calf", "kuit": "calf", "shin": "shin", "scheen": "shin", "hip": "hip",
    "heup": "hip", "lower back": "lower back", "onderrug": "lower back", "back": "back",
    "rug": "back", "foot": "foot", "voet": "foot", "shoulder": "shoulder",
    "schouder": "shoulder", "it band": "IT band", "plantar fascia": "plantar fascia",
}
_PART_RX = "|".join(sorted((re.escape(p) for p in _PARTS), key=len, reverse=True))
_DAYS = {
    "monday": "Monday", "tuesday": "Tuesday", "wednesday": "Wednesday", "thursday": "Thursday",
    "friday": "Friday", "saturday": "Saturday", "sunday": "Sunday", "maandag": "Monday",
    "dinsdag": "Tuesday", "woensdag": "Wednesday", "donderdag": "Thursday", "vrijdag": "Friday",
    "zaterdag": "Saturday", "zondag": "Sunday",
}
_DAY_RX = "|".join(_DAYS)
_MONTHS = {
    m: m.capitalize()
    for m in "january february march april may june july august september october november "
    "december".split()
} | {
    "januari": "January", "februari": "February", "maart": "March", "mei": "May",
    "juni": "June", "juli": "July", "augustus": "August", "oktober": "October",
}
_EVENTS = {
    "half marathon": "half marathon", "halve marathon": "half marathon", "marathon": "marathon",
    "ultra": "ultra", "10k": "10K", "10 km": "10K", "10km": "10K", "5k": "5K", "5 km": "5K",
    "5km": "5K", "triathlon": "triathlon", "triatlon": "triathlon", "ironman": "Ironman",
    "gran fondo": "gran fondo", "granfondo": "gran fondo", "sportive": "sportive",
    "toertocht": "sportive", "elfstedentocht": "Elfstedentocht", "trail race": "trail race",
    "trailrun": "trail race", "time trial": "time trial", "tijdrit": "time trial",
}
_EVENT_RX = "|".join(sorted((re.escape(e) for e in _EVENTS), key=len, reverse=True))


@dataclass(frozen=True)
class _Found:
    kind: str  # "fact", "pattern" or "note"
    text: str
    category: str = "other"
    confidence: float = 0.7


_Rule = Callable[[str], Iterable[_Found]]


def _sports(text: str) -> Iterable[_Found]:
    for rx in (
        r"\bi(?:'m| am) (?:a |an )?(?:\w+ )?(runner|cyclist|rider|skater|skier|swimmer|triathlete)\b",
        r"\bik ben (?:een )?(?:\w+ )?(hardloper|loper|wielrenner|fietser|schaatser|langlaufer|zwemmer|triatleet)\b",
    ):
        for m in re.finditer(rx, text, _I):
            word = m.group(1).lower()
            sport = _ROLE_SPORT.get(word)
            name = _SPORT_NAME.get(sport) if sport else _OTHER_SPORT.get(word)
            if name:
                yield _Found("fact", f"Primary sport: {name}", "sport", 0.9)
    for rx, confidence in (
        (r"\bmy (?:main|primary|favou?rite) sport is (\w+(?: \w+)?)", 0.9),
        (r"\bmijn (?:belangrijkste |favoriete |hoofd)?sport is (\w+)", 0.9),
        (r"\bi (?:mainly|mostly|usually|mostly just) (run|cycle|ride|bike|ski|skate|swim)\b", 0.8),
        (r"\bik (?:doe|train) (?:vooral|meestal|voornamelijk) (?:aan )?(\w+)", 0.8),
    ):
        for m in re.finditer(rx, text, _I):
            word = m.group(1).lower()
            sport = normalize_sport(word)
            name = _SPORT_NAME.get(sport) if sport and sport != "other" else _OTHER_SPORT.get(word)
            if name:
                yield _Found("fact", f"Primary sport: {name}", "sport", confidence)
    for rx in (
        r"\bi also (run|cycle|ride|bike|ski|skate|swim|do strength)",
        r"\bik (loop|fiets|schaats|zwem|langlauf) ook\b",
        r"\bik doe ook (?:aan )?(\w+)",
    ):
        for m in re.finditer(rx, text, _I):
            word = {"loop": "run", "fiets": "bike", "schaats": "skate", "zwem": "swim",
                    "langlauf": "ski", "do strength": "strength"}.get(m.group(1).lower(), m.group(1))
            sport = normalize_sport(word)
            name = _SPORT_NAME.get(sport) if sport and sport != "other" else _OTHER_SPORT.get(word.lower())
            if name:
                yield _Found("fact", f"Also does {name}", "sport", 0.6)


_TIME_OF_DAY = (
    ("morning", r"\bmornings?\b|\bbefore work\b|\bearly in the day\b|'s ochtends|\bochtend\w*|\bvoor (?:mijn |het )?werk\b"),
    ("evening", r"\bevenings?\b|\bafter work\b|'s avonds|\bavond\w*|\bna (?:mijn |het )?werk\b"),
    ("lunchtime", r"\blunch\w*\b|\btussen de middag\b"),
    ("afternoon", r"\bafternoons?\b|'s middags"),
)
_PREFER = r"\b(?:prefer\w*|like to|love to|liefst|graag)\b"
_ONE_OFF = r"\b(?:today|tonight|tomorrow|this|vandaag|vanavond|morgen|deze|dit)\b"


def _time_preferences(text: str) -> Iterable[_Found]:
    lowered = text.lower().replace("’", "'")
    for label, rx in _TIME_OF_DAY:
        m = re.search(rx, lowered)
        if not m:
            continue
        habitual = re.search(_PREFER, lowered) or (
            re.search(r"\b(?:usually|always|normally|typically|every|meestal|altijd|normaal|elke|iedere)\b", lowered)
        ) or m.group(0).endswith(("mornings", "evenings", "afternoons"))
        if habitual and not (re.search(_ONE_OFF, lowered) and not re.search(_PREFER, lowered)):
            confidence = 0.8 if re.search(_PREFER, lowered) else 0.7
            yield _Found("fact", f"Prefers {label} sessions", "time_preference", confidence)
            return


def _availability(text: str) -> Iterable[_Found]:
    lowered = text.lower()
    if not re.search(
        r"\b(?:usually|normally|typically|most days|on weekdays|during the week|per day|a day|"
        r"each day|every day|meestal|normaal|doordeweeks|door de week|per dag|elke dag|op werkdagen)\b",
        lowered,
    ):
        return
    if not re.search(r"\b(?:have|got|heb|train|can|kan|time|tijd|available|beschikbaar)\b", lowered):
        return
    rng = re.search(r"\b(\d{1,3})\s*(?:-|–|to|tot)\s*(\d{1,3})\s*(?:min|mins|minutes|minuten)\b", lowered)
    if rng and int(rng.group(1)) < int(rng.group(2)):
        yield _Found("fact", f"Typical availability: {rng.group(1)}-{rng.group(2)} minutes",
                     "time_preference", 0.7)
        return
    minutes = extract_minutes(text)
    if minutes and 5 <= minutes <= 600:
        yield _Found("fact", f"Typical availability: {minutes} minutes", "time_preference", 0.7)


_INJURY_CUE = (
    r"\b(?:injur\w*|hurts?|hurting|pain\w*|sore|issues?|problems?|strain\w*|sprain\w*|"
    r"tendin\w*|bad|dodgy|niggle|trouble|blessure\w*|geblesseerd|pijn\w*|zeer|last|klachten|"
    r"ontstoken|verrekt|verstuikt|overbelast)\b"
)
_RESOLVED = (
    r"\b(?:fine|healed|recovered|better|good|okay|ok)\b(?:\s+(?:again|now))?|\bno (?:more )?(?:pain|issues?)\b|"
    r"\bhersteld|\bgenezen|\bweer (?:goed|beter|in orde)|\bgeen (?:last|pijn|klachten) meer"
)


def _injuries(text: str) -> Iterable[_Found]:
    lowered = text.lower()
    for sentence in re.split(r"(?<=[.!?])\s+", lowered):
        rx = rf"\b({_PART_RX})(?:blessure|pijn|klachten|probleem|problemen)?\b"
        for m in re.finditer(rx, sentence):
            part = _PARTS[m.group(1)]
            if re.search(_RESOLVED, sentence) and not re.search(r"\b(?:still|nog steeds|nog altijd)\b", sentence):
                yield _Found("fact", f"{part[0].upper()}{part[1:]} issue resolved", "injury", 0.7)
                break
            compound = m.group(0) != m.group(1)
            if compound or re.search(_INJURY_CUE, sentence):
                old = re.search(r"\b(?:old|oude?|used to|vroeger|chronic|chronische?)\b", sentence)
                fact = f"Has {part} issue" + (" (old injury)" if old else "")
                yield _Found("fact", fact, "injury", 0.8)
                break


_LIFESTYLE = (
    (r"\bshift(?:s| work)\b|\bploegendienst\w*|\bnachtdienst\w*|\bonregelmatige diensten", "Works shifts"),
    (r"\bi have (?:\w+ )?(?:kids|children|a baby|a toddler)\b|\bmy (?:kids|children)\b|\bik heb (?:\w+ )?(?:kinderen|kids|een baby)\b|\bmijn kinderen\b", "Has children"),
    (r"\b(?:busy|demanding|stressful) job\b|\bwork long hours\b|\bdrukke baan\b|\blange werkdagen\b", "Busy job"),
    (r"\btravel (?:a lot )?for work\b|\bi travel a lot\b|\bveel op reis\b|\breis veel\b", "Travels often for work"),
    (r"\b(?:commute|ride|cycle|bike) (?:by bike )?to work\b|\bcommute by bike\b|\bfiets (?:elke dag )?naar (?:mijn |het )?werk\b", "Commutes by bike"),
    (r"\bi (?:often |usually )?sleep (?:badly|poorly)\b|\bi don't sleep well\b|\bik slaap (?:vaak |meestal )?slecht\b", "Often sleeps poorly"),
    (r"\bdesk job\b|\bsit all day\b|\bkantoorbaan\b|\bzittend werk\b", "Desk job"),
)


def _lifestyle(text: str) -> Iterable[_Found]:
    for rx, fact in _LIFESTYLE:
        if re.search(rx, text, _I):
            yield _Found("fact", fact, "lifestyle", 0.7)


_GOAL_CUE = (
    r"\b(?:training for|train for|preparing for|prepare for|signed up for|registered for|entered|"
    r"my goal|goal is|want to (?:run|ride|do|finish|complete)|i'm doing|i am doing|"
    r"train voor|bereid me voor op|ingeschreven voor|mijn doel|doel is|ik wil (?:de |een )?|"
    r"ik doe mee aan|doe mee aan)"
)


def _goals(text: str) -> Iterable[_Found]:
    lowered = text.lower()
    cue = re.search(_GOAL_CUE, lowered)
    if cue:
        event = re.search(rf"(?<![\w])({_EVENT_RX})(?![\w])", lowered[cue.start():])
        if event:
            name = _EVENTS[event.group(1)]
            month = re.search(rf"\b(?:in|on|op)\s+(?:\d{{1,2}}\s+)?({'|'.join(_MONTHS)})\b", lowered)
            fact = f"Goal: {name}" + (f" ({_MONTHS[month.group(1)]})" if month else "")
            yield _Found("fact", fact, "goal", 0.85)
    if re.search(r"\blose (?:some )?weight\b|\bafvallen\b|\bgewicht verliezen\b|\bkilo'?s kwijt", lowered):
        yield _Found("fact", "Wants to lose weight", "goal", 0.7)


_NUMBER_WORDS = {"two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "twee": 2, "drie": 3,
                 "vier": 4, "vijf": 5, "zes": 6}


def _patterns(text: str) -> Iterable[_Found]:
    lowered = text.lower()
    if re.search(r"\b(?:always|often|tend to|usually) (?:go out|start|begin) too (?:hard|fast)\b|"
                 r"\bik (?:begin|start|ga) (?:altijd|vaak|meestal) te (?:snel|hard)", lowered):
        yield _Found("pattern", "Tends to start sessions too hard")
    for m in re.finditer(rf"\b(?:always|often|usually) skip (?:my )?({_DAY_RX})s?\b|"
                         rf"\bik sla (?:altijd|vaak|meestal) (?:de |mijn )?({_DAY_RX}) over", lowered):
        day = _DAYS[m.group(1) or m.group(2)]
        yield _Found("pattern", f"Often skips {day} sessions")
    m = re.search(r"\b(?:i )?train (\d|two|three|four|five|six) (?:times|days) (?:a|per) week\b|"
                  r"\bik train (\d|twee|drie|vier|vijf|zes) (?:keer|dagen) per week\b", lowered)
    if m:
        word = m.group(1) or m.group(2)
        count = int(word) if word.isdigit() else _NUMBER_WORDS[word]
        yield _Found("pattern", f"Trains {count} times a week")
    if re.search(r"\blong (?:run|ride)s? (?:at|on) (?:the )?weekends?\b|\bweekends? (?:are|is) for (?:my )?long\b|"
                 r"\bin het weekend (?:doe ik|train ik) (?:mijn )?lange?", lowered):
        yield _Found("pattern", "Does long sessions at the weekend")


def _notes(text: str) -> Iterable[_Found]:
    lowered = text.lower()
    if re.search(r"\bi (?:love|like|want) (?:the )?(?:data|numbers|details|science)\b|\bgive me the (?:numbers|data)\b|"
                 r"\bik (?:hou van|wil) (?:de )?(?:cijfers|data|details)\b", lowered):
        yield _Found("note", "Responds well to data-driven explanations")
    if re.search(r"\bkeep it short\b|\bshort answers\b|\bjust tell me\b|\bno fluff\b|"
                 r"\bhoud het kort\b|\bkorte antwoorden\b|\bzeg het gewoon\b", lowered):
        yield _Found("note", "Prefers short, direct answers")
    if re.search(r"\bi need (?:some )?(?:motivation|encouragement|a push)\b|"
                 r"\bik heb (?:wat |een beetje )?(?:motivatie|een duwtje|aanmoediging) nodig\b", lowered):
        yield _Found("note", "Responds well to encouragement")
    if re.search(r"\bi (?:like|want) to (?:know|understand) (?:the )?why\b|\bexplain (?:to me )?why\b|"
                 r"\bik wil (?:graag )?(?:weten|begrijpen) waarom\b", lowered):
        yield _Found("note", "Likes to understand the why")


_RULES: tuple[_Rule, ...] = (_sports, _time_preferences, _availability, _injuries, _lifestyle,
                             _goals, _patterns, _notes)


def fact_key(text: str) -> str:
    """Facts with the same key describe the same thing; the newer one wins."""
    t = text.strip()
    if m := re.match(r"(?i)^has (.+?) issue\b", t):
        return f"injury:{m.group(1).lower()}"
    if m := re.match(r"(?i)^(.+?) issue resolved$", t):
        return f"injury:{m.group(1).lower()}"
    if re.match(r"(?i)^prefers \w+ sessions$", t):
        return "time_of_day"
    if m := re.match(r"(?i)^also does (.+)$", t):
        return f"also:{m.group(1).lower()}"
    if m := re.match(r"^([^:]{1,40}):", t):
        return m.group(1).strip().lower()
    return re.sub(r"\s+", " ", t.lower())


def note_key(text: str) -> str:
    """Patterns and notes differing only in a number are the same, newer wins."""
    return re.sub(r"\d+", "#", re.sub(r"\s+", " ", text.strip().lower()))


def _timestamp(now: datetime | str | None) -> str:
    if isinstance(now, str):
        return now
    now = now or datetime.now(timezone.utc)
    if now.tzinfo is None:
        now = now.replace(tzinfo=timezone.utc)
    return now.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _user_texts(turns: Iterable[Any]) -> list[str]:
    out = []
    for turn in turns or ():
        if isinstance(turn, str):
            out.append(turn)
        elif isinstance(turn, Mapping) and turn.get("role", "user") == "user":
            text = turn.get("message", turn.get("content"))
            if isinstance(text, str):
                out.append(text)
    return out


def extract_from_text(text: str) -> list[_Found]:
    found: list[_Found] = []
    for rule in _RULES:
        for item in rule(text):
            if item not in found:
                found.append(item)
    return found


def _merge_fact(facts: list[dict[str, Any]], new: dict[str, Any]) -> None:
    key = fact_key(new["fact"])
    for index, old in enumerate(facts):
        if fact_key(old["fact"]) != key:
            continue
        if old["fact"].strip().lower() == new["fact"].strip().lower():
            merged = dict(old)
            merged["confidence"] = round(
                min(MAX_CONFIDENCE, max(float(old["confidence"]), new["confidence"]) + REPEAT_BONUS), 2
            )
            merged["learned_at"] = max(str(old["learned_at"]), new["learned_at"])
            facts[index] = merged
        else:
            facts[index] = new
        return
    facts.append(new)


def _merge_text(items: list[str], new: str, cap: int) -> None:
    key = note_key(new)
    for index, old in enumerate(items):
        if note_key(old) == key:
            items.pop(index)
            break
    items.append(new)
    del items[:-cap]


def extract_memory(
    turns: Iterable[Any],
    *,
    existing: Mapping[str, Any] | None = None,
    now: datetime | str | None = None,
) -> dict[str, Any]:
    """Merge what the athlete said in ``turns`` into ``existing`` memory.

    ``turns`` are ChatContext history items (``{"role", "message"}``), chat
    messages (``{"role", "content"}``) or plain strings (athlete turns). The
    result validates against the ``memory`` object of chat_context.schema.json.
    """
    stamp = _timestamp(now)
    existing = existing or {}
    facts = [dict(f) for f in existing.get("key_facts") or () if isinstance(f, Mapping) and f.get("fact")]
    patterns = [p for p in existing.get("patterns") or () if isinstance(p, str) and p.strip()]
    notes = [n for n in existing.get("coaching_notes") or () if isinstance(n, str) and n.strip()]
    for text in _user_texts(turns):
        for item in extract_from_text(text):
            body = item.text[:MAX_TEXT]
            if item.kind == "fact":
                _merge_fact(facts, {"fact": body, "category": item.category, "source": SOURCE,
                                    "confidence": item.confidence, "learned_at": stamp})
            elif item.kind == "pattern":
                _merge_text(patterns, body, MAX_PATTERNS)
            else:
                _merge_text(notes, body, MAX_NOTES)
    while len(facts) > MAX_FACTS:
        weakest = min(range(len(facts)), key=lambda i: (float(facts[i]["confidence"]),
                                                        str(facts[i]["learned_at"]), i))
        facts.pop(weakest)
    return {"key_facts": facts, "patterns": patterns[-MAX_PATTERNS:], "coaching_notes": notes[-MAX_NOTES:]}


@cache
def _memory_validator():
    from jsonschema import Draft202012Validator, FormatChecker

    from josi.contracts import load_schema

    schema = dict(load_schema("chat_context.schema.json")["properties"]["memory"])
    return Draft202012Validator(schema, format_checker=FormatChecker())


def memory_errors(memory: Any) -> list[str]:
    """Reasons ``memory`` does not match the schema's ``memory`` object; empty when valid."""
    errors = sorted(_memory_validator().iter_errors(memory), key=lambda e: list(e.absolute_path))
    return [f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}" for e in errors]
