"""Minutes available, read from free text in English or Dutch.

The earliest duration in the text wins. Ranges ("45-60 min", "1 tot 2 uur",
"tussen de 30 en 45 minuten") give their lower bound, the time the athlete
surely has. Clock times ("at 7:30", "om 7 uur", "7 uur 's ochtends") are not
durations, and neither is a delay ("in an hour", "over een uur", "in 20
minutes from now"): that says when, not how long. Nor is a past session or a
result ("I ran 10k yesterday in 50 minutes", "my 5k PR is 22 min", "gisteren
1 uur gefietst"): athletes report those before they say what they have today.
"""

from __future__ import annotations

import re

from josi.lang import normalize_for_matching

_UNITS_EN = {
    "one": 1,
    "a": 1,
    "an": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "fifteen": 15,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}
_UNITS_NL = {
    "een": 1,
    "één": 1,
    "twee": 2,
    "drie": 3,
    "vier": 4,
    "vijf": 5,
    "zes": 6,
    "zeven": 7,
    "acht": 8,
    "negen": 9,
    "tien": 10,
    "elf": 11,
    "twaalf": 12,
    "vijftien": 15,
    "twintig": 20,
    "dertig": 30,
    "veertig": 40,
    "vijftig": 50,
    "zestig": 60,
    "zeventig": 70,
    "tachtig": 80,
    "negentig": 90,
}
_NL_ONES = ("een", "twee", "drie", "vier", "vijf", "zes", "zeven", "acht", "negen")
_NL_TENS = ("twintig", "dertig", "veertig", "vijftig", "zestig", "zeventig", "tachtig", "negentig")
_EN_ONES = ("one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
_EN_TENS = ("twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety")

_WORDS: dict[str, int] = {**_UNITS_EN, **_UNITS_NL}
for _t in _EN_TENS:
    for _o in _EN_ONES:
        _WORDS[f"{_t}-{_o}"] = _WORDS[_t] + _WORDS[_o]
        _WORDS[f"{_t} {_o}"] = _WORDS[_t] + _WORDS[_o]
for _t in _NL_TENS:
    for _o in _NL_ONES:
        _WORDS[f"{_o}en{_t}"] = _WORDS[_t] + _WORDS[_o]
        _WORDS[f"{_o}ën{_t}"] = _WORDS[_t] + _WORDS[_o]

_WORD_ALT = "|".join(sorted((re.escape(w) for w in _WORDS), key=len, reverse=True))
NUM = rf"(?:\d+(?:[.,]\d+)?|{_WORD_ALT})"
# "½" reaches the patterns as "1⁄2" (NFKC, with U+2044): "2½ uur" is matched as "21⁄2 uur".
_HALF = r"(?:1⁄2|and a half|en een half|en half|\.5|,5)"
# "h" and "u" (Dutch "uur") only right after a digit: "2h", "1u", never "2 u".
HOUR = r"(?:\s*-?\s*(?:hours?|hrs?|uur|uren|uurtjes?)|(?<=\d)(?:\s?h|u))"
# A bare "m" is left out: "400m" is a distance far more often than a duration.
MIN = r"(?:minutes?|mins?|min|minuten|minuutjes?|minuut|')"
_ISH = r"(?:\s*-?\s*ish)?"
_APPROX = r"(?:~\s*)?"
_B = r"(?<![\w.,:])"  # a number must not continue another number or word
_E = r"(?![\w])"
# A chat message names its time early; the cap keeps a pasted wall of text fast.
_MAX_CHARS = 5000
# The shortest and longest session a duration can ask for; outside it a number is something else
# (a clock time read as hours, "om 20u").
SESSION_MINUTES = (5, 600)
# Units that make a bare number after the hours something other than minutes.
_NOT_MINUTES = (
    r"km|k|mi|miles?|kilomet\w*|x|×|%|hours?|hrs?|uur|uren|keer|times|reps?|sets?|meters?|metres?|m|"
    r"watts?|w|bpm|sec|s|seconds?|seconden|laps?|rondes?|sprints?|intervals?|intervallen"
)

_PATTERNS: list[tuple[str, str]] = [
    # "1:15", "0:45" (a duration unless a clock word precedes it)
    ("clock_duration", rf"{_B}(?P<h>\d{{1,2}}):(?P<m>[0-5]\d)(?![\d:])"),
    # "1h15", "1h 15m", "1 uur 15 minuten", "1 hour and 15 minutes", "1u15"
    (
        "h_m",
        rf"{_B}(?P<h>{NUM}){HOUR}\s*(?:(?:and|en)\s+)?(?P<m>\d{{1,2}}|{_WORD_ALT})\s*(?:{MIN}|m){_E}",
    ),
    ("h_m_compact", rf"{_B}(?P<h>\d{{1,2}})\s?[hu](?P<m>[0-5]\d)(?:m|min)?{_E}"),
    # "1 hour 15", "2 hours 30", "1u 15": minutes after the hours need no unit
    (
        "h_m_bare",
        rf"{_B}(?P<h>{NUM}){HOUR}\s*(?:(?:and|en)\s+)?(?P<m>[0-5]?\d)(?![\w.,:'])"
        rf"(?!\s*(?:{_NOT_MINUTES})(?![\w]))",
    ),
    # "between 30 and 45 minutes", "tussen de 30 en 45 minuten"
    (
        "between_min",
        rf"(?<![\w])(?:between|tussen)\s+(?:de\s+)?(?P<a>{NUM})\s*(?:and|en|-|–)\s*(?P<b>{NUM})"
        rf"\s*-?\s*{MIN}{_E}",
    ),
    (
        "between_hour",
        rf"(?<![\w])between\s+(?P<a>{NUM})\s*(?:and|-|–)\s*(?P<b>{NUM})\s*(?:hours?|hrs?){_E}",
    ),
    # ranges: "45-60 minutes", "1 tot 2 uur", "45 to 60 min"
    (
        "range_min",
        rf"{_B}(?P<a>{NUM}){_ISH}\s*(?:-|–|to|tot|or|of|a)\s*(?P<b>{NUM}){_ISH}\s*-?\s*{MIN}{_E}",
    ),
    ("range_hour", rf"{_B}(?P<a>{NUM})\s*(?:-|–|to|tot|or|of)\s*(?P<b>{NUM}){HOUR}{_E}"),
    # "an hour and a half", "hour and a half", "anderhalf uur", "1,5 uur", "2½ hours"
    (
        "one_and_half",
        r"(?<![\w])(?:an?\s+|one\s+)?hour\s+and\s+a\s+half|(?<![\w])anderhalf\s*(?:uur|uurtje)",
    ),
    ("n_and_half", rf"{_B}(?P<h>{NUM})\s*{_HALF}{HOUR}{_E}"),
    ("n_hour_and_half", rf"{_B}(?P<h>{NUM})\s*-?\s*(?:hours?|uur)\s+(?:and a half|en een half)"),
    # "half an hour", "een half uur", "half uur", "halfuurtje"
    ("half_hour", r"(?<![\w])(?:half\s+an\s+hour|(?:een\s+)?half\s*uur(?:tje)?)"),
    # quarters: "drie kwartier", "een kwartier", "quarter of an hour", "three quarters of an hour"
    (
        "quarters",
        rf"(?<![\w])(?:(?P<q>{NUM})\s+)?kwartier|(?<![\w])(?P<e>three\s+)?quarters?\s+of\s+an\s+hour",
    ),
    # "2 hours", "two hours", "an hour", "een uur", "een uurtje", "uurtje"
    ("hours", rf"{_B}{_APPROX}(?P<h>{NUM}){_ISH}{HOUR}{_E}"),
    ("bare_hour", r"(?<![\w])uurtje(?![\w])"),
    ("couple_hours", r"(?<![\w])(?:a\s+)?couple\s+(?:of\s+)?hours"),
    # "90 minutes", "45ish min", "45-minute", "twintig minuten", "~45 min"
    ("minutes", rf"{_B}{_APPROX}(?P<n>{NUM}){_ISH}\s*-?\s*{MIN}{_E}"),
]
_COMPILED = [(name, re.compile(rx, re.IGNORECASE)) for name, rx in _PATTERNS]
_CLOCK_BEFORE = re.compile(
    r"(?:\b(?:at|om|from|until|till|vanaf|tot|around|rond|omstreeks|before|after|voor|na)\s+"
    r"(?:about\s+|ongeveer\s+)?)$",
    re.IGNORECASE,
)
_CLOCK_AFTER = re.compile(r"^\s*(?:'s|’s|am\b|pm\b|a\.m\.|p\.m\.|o'clock|uur\s+'s)", re.IGNORECASE)


def _number(token: str) -> float | None:
    token = token.strip().lower()
    if token in _WORDS:
        return float(_WORDS[token])
    token = re.sub(r"\s+", " ", token)
    if token in _WORDS:
        return float(_WORDS[token])
    try:
        return float(token.replace(",", "."))
    except ValueError:
        return None


def _minutes(name: str, match: re.Match[str]) -> float | None:
    g = match.groupdict()
    if name == "clock_duration":
        return int(g["h"]) * 60 + int(g["m"])
    if name in ("h_m", "h_m_compact", "h_m_bare"):
        hours, minutes = _number(g["h"]), _number(g["m"])
        if hours is None or minutes is None or minutes >= 60:
            return None
        return hours * 60 + minutes
    if name in ("range_min", "range_hour", "between_min", "between_hour"):
        low, high = _number(g["a"]), _number(g["b"])
        # "forty-five" is one number, not the range 40-5.
        if low is None or high is None or high <= low:
            return None
        return low if name in ("range_min", "between_min") else low * 60
    if name == "one_and_half":
        return 90
    if name in ("n_and_half", "n_hour_and_half"):
        hours = _number(g["h"])
        return None if hours is None else hours * 60 + 30
    if name == "half_hour":
        return 30
    if name == "quarters":
        if g.get("e"):
            return 45
        count = _number(g["q"]) if g.get("q") else 1
        return None if count is None else count * 15
    if name == "hours":
        hours = _number(g["h"])
        return None if hours is None else hours * 60
    if name == "bare_hour":
        return 60
    if name == "couple_hours":
        return 120
    if name == "minutes":
        return _number(g["n"])
    return None


_REPS_BEFORE = re.compile(r"\d\s*[x×*]\s*$", re.IGNORECASE)
_SLOT_BEFORE = re.compile(r"\b(?:van|from|tussen|between)\s+$", re.IGNORECASE)
_DUTCH_UNIT = re.compile(r"uur|minuten|minuut|kwartier", re.IGNORECASE)
_LATER_AFTER = re.compile(
    r"^\s*(?:from now|later|time\b|'s time|s time|vanaf nu|na nu)", re.IGNORECASE
)
_IN_BEFORE = re.compile(
    r"\bin\s+(?:half\s+|about\s+|around\s+|roughly\s+|like\s+)?$", re.IGNORECASE
)
_OVER_BEFORE = re.compile(
    r"\bover\s+(?:een\s+half\s+|half\s+|ongeveer\s+|zo.n\s+)?$", re.IGNORECASE
)
_ARTICLE_START = re.compile(r"(?:an?|one|half|a\s+couple|a\s+few|couple)\b", re.IGNORECASE)
# Said before "in 30 minutes", these make it a delay: "I'm free in 30 minutes".
_DEPARTURE = re.compile(
    r"\b(?:leave|leaving|head(?:ing)?\s+out|go(?:ing)?\s+out|start(?:ing)?|be\s+back|get(?:ting)?\s+home|"
    r"i'll|i\s+will|i'm\s+off|off\s+to|free|ready|done|finish(?:ed)?|home|back|out\s+the\s+door)\b",
    re.IGNORECASE,
)


def _is_delay(text: str, match: re.Match[str]) -> bool:
    """True for "in an hour", "over 20 minuten", "in 30 min from now": when, not how long."""
    before = text[: match.start()]
    if _LATER_AFTER.match(text[match.end() :]):
        return True
    if _OVER_BEFORE.search(before):
        # Dutch "over een uur" is later; English "over an hour" is "more than an hour".
        return bool(_DUTCH_UNIT.search(match.group(0)))
    if _IN_BEFORE.search(before) and not _DUTCH_UNIT.search(match.group(0)):
        if _ARTICLE_START.match(match.group(0)):
            return True
        clause = re.split(r"[.!?;,]", before)[-1]
        return bool(_DEPARTURE.search(clause))
    return False


# A duration in the same clause as one of these is a past session, a result or a night's sleep,
# not time available.
_PAST_OR_RESULT = re.compile(
    r"\b(?:sleep|slept|sleeping|slaap|slapen|geslapen|nachtrust|yesterday|last\s+(?:night|week|weekend|time|month|year|session|run|ride)|ago|"
    r"ran(?!\s+(?:late|out|short))|rode|did|finished|completed|raced|clocked|swam|walked|cycled|biked|"
    r"pr|pb|personal\s+(?:best|record)|record|finish(?:ing)?\s+time|average|"
    r"gisteren|eergisteren|vorige|afgelopen|geleden|liep|fietste|deed|reed|zwom|"
    r"gelopen|gefietst|gedaan|gereden|gezwommen|getraind|persoonlijk\s+record|eindtijd|gemiddeld)\b",
    re.IGNORECASE,
)
_CLAUSE_END = re.compile(r"[.!?;,]|\b(?:but|maar|now|nu|today|vandaag)\b", re.IGNORECASE)


def _is_past_or_result(text: str, match: re.Match[str]) -> bool:
    """True for "ran 10k yesterday in 50 minutes", "PR is 22 min", "gisteren 1 uur gefietst",
    "running on 4 hours sleep"."""
    start = max((m.end() for m in _CLAUSE_END.finditer(text, 0, match.start())), default=0)
    end = _CLAUSE_END.search(text, match.end())
    rest_of_clause = (
        text[start : match.start()] + " " + text[match.end() : end.start() if end else len(text)]
    )
    return bool(_PAST_OR_RESULT.search(rest_of_clause))


def _is_clock(text: str, match: re.Match[str], name: str) -> bool:
    """True for clock times and interval reps ("4 x 5min"), which are not time available."""
    before = text[: match.start()]
    if _REPS_BEFORE.search(before):
        return True
    if name == "range_hour":
        # "van 7 tot 8 uur", "from 6 to 7": a time slot, not a duration
        return bool(_SLOT_BEFORE.search(before))
    if name not in ("clock_duration", "hours"):
        return False
    after = text[match.end() :]
    if _CLOCK_BEFORE.search(before):
        return True
    if name == "clock_duration":
        return bool(re.match(r"^\s*(?:am|pm|a\.m\.|p\.m\.|uur|h\b)", after, re.IGNORECASE))
    return bool(_CLOCK_AFTER.match(after))


def durations(text: str) -> list[int]:
    """Minutes of every duration mentioned in ``text``, in the order they appear.

    Where two readings overlap, the one that starts first wins, and of two that start
    together the longer: the reading ``extract_minutes`` gives for the first.
    """
    if not isinstance(text, str) or not text:
        return []
    text = normalize_for_matching(text[:_MAX_CHARS]).replace("’", "'")
    found: list[tuple[int, int, float]] = []  # (start, end, minutes)
    for name, pattern in _COMPILED:
        for match in pattern.finditer(text):
            if (
                _is_clock(text, match, name)
                or _is_delay(text, match)
                or _is_past_or_result(text, match)
            ):
                continue
            value = _minutes(name, match)
            if value is None or value <= 0:
                continue
            found.append((match.start(), match.end(), value))
    # A stable sort keeps the patterns' order between readings of the same span.
    found.sort(key=lambda f: (f[0], -(f[1] - f[0])))
    out: list[int] = []
    end = -1
    for start, stop, value in found:
        if start >= end:
            out.append(round(value))
            end = stop
    return out


def extract_minutes(text: str) -> int | None:
    """Minutes of the first duration mentioned in ``text``, or None."""
    found = durations(text)
    return found[0] if found else None
