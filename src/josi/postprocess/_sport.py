"""Sport names in English and Dutch -> the GATCRequest sport enum."""

from __future__ import annotations

import re

from josi.lang import normalize_for_matching

SPORTS = ("run", "bike", "ski", "skate", "strength", "other")

# Longer phrases first where one contains another ("skate skiing" is skiing).
_SYNONYMS: dict[str, tuple[str, ...]] = {
    "ski": (
        "cross-country skiing", "cross country skiing", "skate skiing", "skate-skiing",
        "classic skiing", "langlaufen", "langlauf", "skiing", "skiën", "skien", "skiing",
        "ski", "skitour", "skiën", "rollerski", "rollerskiën", "roller skiing",
    ),
    "skate": (
        "inline skating", "inline-skating", "inlineskaten", "skeeleren", "skeeler",
        "schaatsen", "schaats", "ice skating", "speed skating", "skating", "skate",
    ),
    "bike": (
        "cycling", "cycle", "biking", "bike ride", "bike", "ride", "road bike", "mtb",
        "mountain bike", "mountainbiken", "mountainbike", "fietsen", "fietstocht",
        "fietsrit", "fiets", "wielrennen", "wielrenner", "racefiets", "gravel ride",
        "indoor cycling", "spinning", "zwift", "fietstraining", "cyclist", "fietser",
        # Indoor riding: the trainer's name is often the only sport word in the message.
        "spin class", "spin session", "spin bike", "spinles", "spinningles", "turbo",
        "turbo trainer", "turbo session", "indoor trainer", "smart trainer", "bike trainer",
        "home trainer", "hometrainer", "fietstrainer", "wattbike", "peloton", "gravel",
        "gravelrit",
    ),
    "run": (
        "running", "run", "runs", "jog", "jogging", "hardlopen", "hardloop", "hardloopje",
        "hardlooptraining", "duurloop", "loopje", "loop training", "looptraining",
        "trail run", "trailrun", "runner", "hardloper", "rondje lopen", "lopen",
        "intervals on the track", "track session", "treadmill", "loopband", "parkrun",
    ),
    "strength": (
        "strength", "strength training", "strength session", "weights", "weight training",
        "lifting", "gym", "krachttraining", "kracht", "core training", "core workout",
        "sportschool", "fitness",
    ),
    "other": (
        "swimming", "swim", "zwemmen", "zwemtraining", "rowing", "roeien", "yoga",
        "walking", "wandelen", "hiking", "hike",
    ),
}

_INDEX: dict[str, str] = {}
for _sport, _names in _SYNONYMS.items():
    for _name in _names:
        _INDEX.setdefault(_name, _sport)
for _sport in SPORTS:
    _INDEX.setdefault(_sport, _sport)

_PATTERN = re.compile(
    r"(?<![\w-])("
    + "|".join(re.escape(n).replace(r"\ ", r"[\s-]+") for n in sorted(_INDEX, key=len, reverse=True))
    + r")(?![\w-])",
    re.IGNORECASE,
)


# "Spinning" is also dizziness, a red-flag symptom: "my head is spinning, can I still run?"
# names a run, not an indoor ride.
_NOT_A_SPORT = re.compile(
    r"\b(?:head|room|world|everything|hoofd)\b(?:\W+\w+){0,2}?\W+spinning\b"
    r"|\b(?:is|are|was|were|keeps|kept|started|starts|stop|stopped)\s+spinning\b"
    r"|\bspinning\s+(?:head|room|feeling|sensation)\b",
    re.IGNORECASE,
)


def find_sports(text: str) -> tuple[str, ...]:
    """Every sport mentioned in ``text``, in order of first mention."""
    if not isinstance(text, str):
        return ()
    text = _NOT_A_SPORT.sub(" ", normalize_for_matching(text))
    found: list[str] = []
    for match in _PATTERN.finditer(text):
        key = re.sub(r"[\s-]+", " ", match.group(1).lower())
        sport = _INDEX.get(key) or _INDEX.get(key.replace(" ", "-"))
        if sport is None:
            sport = next((v for k, v in _INDEX.items() if re.sub(r"[\s-]+", " ", k) == key), None)
        if sport and sport not in found:
            found.append(sport)
    return tuple(found)


def normalize_sport(text: str | None) -> str | None:
    """The sport enum for a sport name or a message naming one (first mention wins)."""
    if not isinstance(text, str) or not text.strip():
        return None
    lowered = normalize_for_matching(text).strip().lower()
    if lowered in SPORTS:
        return lowered
    found = find_sports(text)
    return found[0] if found else None
