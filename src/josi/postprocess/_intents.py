"""Intents that code reads from the message, with lexicons in English and Dutch.

Coach intents (``coach_intents.toml``): a request to change the plan, an unrealistic goal. A
135M model cannot be relied on to decline a plan change (contract I6) or to push back on a goal
it cannot judge, so, as for red flags, code detects them and the coach step answers with a
fixed reply instead of the model (``josi.routing.coach_contract_reply``).

Request intents (``request_intents.toml``): a message that asks for nothing in particular, and
a replan named in plain words (skip today, move a session, ill, travelling). The post-processor
turns the first into a clarify question and an engine request the interpreter got wrong into
the replan (``josi.postprocess.postprocess``).
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
REQUEST_LEXICON_FILE = "request_intents.toml"
# In precedence order: a goal that is both a plan change and unrealistic ("double my volume
# this week") gets the pushback, which says why as well as that the plan stays.
INTENTS = ("unrealistic_goal", "plan_change")


@dataclass(frozen=True)
class IntentHit:
    intent: str  # one of INTENTS
    rule: str  # the lexicon rule that matched, for the record


@dataclass(frozen=True)
class RequestHit:
    intent: str  # "vague" or "replan"
    rule: str  # the lexicon rule that matched, for the record
    replan_type: str | None = None  # for a replan: the GATCRequest replan_type
    yields_to_minutes: bool = False  # a replan rule that stands down when minutes are named


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


@dataclass(frozen=True)
class _RequestRule:
    rule: Rule
    replan_type: str | None
    yields_to_minutes: bool


@dataclass(frozen=True)
class _RequestLexicon:
    vague: tuple[Rule, ...]
    replan: tuple[_RequestRule, ...]
    negation: Negation
    mask: re.Pattern[str] | None


@cache
def _request_lexicon() -> _RequestLexicon:
    from josi.contracts import load_schema

    data = read_lexicon("josi.postprocess", REQUEST_LEXICON_FILE)
    patterns = Patterns(REQUEST_LEXICON_FILE, data.get("macros", {}))
    for kind in ("vague", "replan"):
        if not isinstance(data.get(kind), list) or not data[kind]:
            raise ConfigError(f"{REQUEST_LEXICON_FILE}: needs at least one [[{kind}]] rule")
    vague = tuple(
        patterns.rule(r, f"vague #{i + 1} ({r.get('id', '?')})")
        for i, r in enumerate(data["vague"])
    )
    known = set(load_schema("gatc_request.schema.json")["$defs"]["replan_type"]["enum"])
    replan: list[_RequestRule] = []
    for i, raw in enumerate(data["replan"]):
        where = f"replan #{i + 1} ({raw.get('id', '?')})"
        if raw.get("replan_type") not in known:
            raise ConfigError(
                f"{REQUEST_LEXICON_FILE}: {where} needs a replan_type, one of {sorted(known)}"
            )
        yields = raw.get("yields_to_minutes", False)
        if not isinstance(yields, bool):
            raise ConfigError(
                f"{REQUEST_LEXICON_FILE}: {where}.yields_to_minutes must be a boolean"
            )
        replan.append(_RequestRule(patterns.rule(raw, where), raw["replan_type"], yields))
    phrases = (data.get("mask") or {}).get("phrases") or []
    return _RequestLexicon(
        vague=vague,
        replan=tuple(replan),
        negation=patterns.negation(data.get("negation") or {}),
        mask=patterns.mask(phrases, "mask.phrases"),
    )


def detect_request_intent(text: str) -> RequestHit | None:
    """A vague message, or else the first replan rule ``text`` matches; None for neither."""
    if not isinstance(text, str) or not text.strip():
        return None
    lex = _request_lexicon()
    forms = [blank(lex.mask, form) for form in normalised_forms(text)]
    for rule in lex.vague:
        if any(rule_hit(lex.negation, rule, form) for form in forms):
            return RequestHit("vague", rule.id)
    for entry in lex.replan:
        if any(rule_hit(lex.negation, entry.rule, form) for form in forms):
            return RequestHit("replan", entry.rule.id, entry.replan_type, entry.yields_to_minutes)
    return None
