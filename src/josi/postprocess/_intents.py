"""Coach intents that code answers: a request to change the plan, an unrealistic goal.

A 135M model cannot be relied on to decline a plan change (contract I6) or to push back on a
goal it cannot judge, so, as for red flags, code detects them with a lexicon
(``coach_intents.toml``, English and Dutch, with negatives) and the coach step answers with a
fixed reply instead of the model (``josi.routing.coach_contract_reply``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache

from josi._errors import ConfigError
from josi.postprocess._rules import (
    Negation,
    Patterns,
    Rule,
    blank,
    normalised_forms,
    read_lexicon,
    rule_hit,
)

LEXICON_FILE = "coach_intents.toml"
# In precedence order: a goal that is both a plan change and unrealistic ("double my volume
# this week") gets the pushback, which says why as well as that the plan stays.
INTENTS = ("unrealistic_goal", "plan_change")


@dataclass(frozen=True)
class IntentHit:
    intent: str  # one of INTENTS
    rule: str  # the lexicon rule that matched, for the record


@dataclass(frozen=True)
class _Lexicon:
    rules: dict[str, tuple[Rule, ...]]
    negation: Negation
    mask: re.Pattern[str] | None


@cache
def _lexicon() -> _Lexicon:
    data = read_lexicon("josi.postprocess", LEXICON_FILE)
    patterns = Patterns(LEXICON_FILE, data.get("macros", {}))
    rules: dict[str, tuple[Rule, ...]] = {}
    for intent in INTENTS:
        raw = data.get(intent)
        if not isinstance(raw, list) or not raw:
            raise ConfigError(f"{LEXICON_FILE}: needs at least one [[{intent}]] rule")
        rules[intent] = tuple(
            patterns.rule(r, f"{intent} #{i + 1} ({r.get('id', '?')})") for i, r in enumerate(raw)
        )
    phrases = (data.get("mask") or {}).get("phrases") or []
    return _Lexicon(
        rules=rules,
        negation=patterns.negation(data.get("negation") or {}),
        mask=patterns.mask(phrases, "mask.phrases"),
    )


def detect_coach_intent(text: str) -> IntentHit | None:
    """The first intent of INTENTS that ``text`` expresses, with the rule that matched."""
    if not isinstance(text, str) or not text.strip():
        return None
    lex = _lexicon()
    forms = [blank(lex.mask, form) for form in normalised_forms(text)]
    for intent in INTENTS:
        for rule in lex.rules[intent]:
            if any(rule_hit(lex.negation, rule, form) for form in forms):
                return IntentHit(intent, rule.id)
    return None
