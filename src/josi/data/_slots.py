"""Fill message templates with slot values and record what each value means."""

from __future__ import annotations

import random
import re
import string
from dataclasses import dataclass, field

from josi.data._templates import templates
from josi.knowledge import sports

_FIELDS = re.compile(r"{(\w+)}")
_MINUTES = (10, 15, 20, 25, 30, 35, 40, 45, 50, 60, 75, 90, 100, 120, 150)


@dataclass
class Filled:
    text: str
    sport: str | None = None
    minutes: int | None = None
    goal: str | None = None
    fatigue: str | None = None
    fields: set[str] = field(default_factory=set)


def placeholders(template: str) -> list[str]:
    return _FIELDS.findall(template)


def time_phrase(rng: random.Random, lang: str) -> tuple[str, int]:
    slots = templates("slots")
    if rng.random() < 0.45:
        entry = rng.choice(slots["time_fixed"][lang])
        return entry["text"], int(entry["minutes"])
    minutes = rng.choice(_MINUTES)
    entry = rng.choice(slots["time"][lang])
    return entry["text"].format(n=minutes), minutes


def sport_phrase(rng: random.Random, lang: str, sport: str | None = None) -> tuple[str, str]:
    sport = sport or rng.choices(sports()["order"], weights=(0.32, 0.28, 0.1, 0.1, 0.12, 0.08))[0]
    return rng.choice(sports()["sports"][sport]["synonyms"][lang]), sport


def goal_phrase(rng: random.Random, lang: str, kind: str) -> tuple[str, str]:
    slots = templates("slots")
    table = slots["goal"][lang] if kind == "goal" else slots["goal_focus"][lang]
    goal = rng.choice(sorted(table))
    return rng.choice(table[goal]), goal


def fill(
    rng: random.Random,
    template: str,
    lang: str,
    *,
    sport: str | None = None,
    extra: dict[str, str] | None = None,
) -> Filled:
    """Fill every placeholder; sport/time/goal values are remembered for the target."""
    out = Filled(text="")
    values: dict[str, str] = dict(extra or {})
    for name in placeholders(template):
        if name in values:
            continue
        if name == "sport":
            values[name], out.sport = sport_phrase(rng, lang, sport)
        elif name == "time":
            values[name], out.minutes = time_phrase(rng, lang)
        elif name in ("goal", "goal_focus"):
            if lang == "nl" and name == "goal":
                raise ValueError("Dutch templates use {goal_focus}")
            values[name], out.goal = goal_phrase(rng, lang, name)
        elif name == "fatigue":
            values[name], out.fatigue = fatigue_phrase(rng, lang)
        else:
            raise KeyError(f"no value for placeholder {{{name}}} in {template!r}")
        out.fields.add(name)
    text = string.Formatter().vformat(template, (), values)
    # Casual templates are written lowercase on purpose; only a leading slot value gets
    # the capital a sentence start usually has.
    starts_with_slot = template.startswith("{")
    out.text = (
        text[0].upper() + text[1:]
        if starts_with_slot and text[0].islower() and rng.random() < 0.8
        else text
    )
    return out


def fatigue_phrase(rng: random.Random, lang: str) -> tuple[str, str]:
    table = templates("slots")["fatigue"][lang]
    hint = rng.choice(sorted(table))
    return rng.choice(table[hint]), hint


def injury_phrase(rng: random.Random, lang: str) -> tuple[str, str]:
    table = templates("slots")["injury"][lang]
    part = rng.choice(sorted(table))
    return rng.choice(table[part]), part


def indoor_phrase(rng: random.Random, lang: str) -> str:
    return rng.choice(templates("slots")["indoor"][lang])


def _lower_first(text: str) -> str:
    if text.startswith(("I ", "I'")):
        return text
    return text[0].lower() + text[1:]


def join_clause(rng: random.Random, base: str, clause: str) -> str:
    """Attach an extra clause before or after the main request."""
    base = base.rstrip()
    clause = clause[0].upper() + clause[1:]
    if rng.random() < 0.5 or base.endswith("?"):
        return (
            f"{clause}. {base[0].upper() + base[1:] if rng.random() < 0.5 else _lower_first(base)}"
        )
    end = "" if base.endswith(("!", ".")) else "."
    return f"{base}{end} {clause}."
