"""Intents that code reads from the message, with lexicons in English and Dutch.

Coach intents (``coach_intents.toml``): a request to change the plan, an unrealistic goal. A
135M model cannot be relied on to decline a plan change (contract I6) or to push back on a goal
it cannot judge, so, as for red flags, code detects them and the coach step answers with a
fixed reply instead of the model (``josi.routing.coach_contract_reply``).

Request intents (``request_intents.toml``): a message that asks for nothing in particular, a
replan named in plain words (skip today, move a session, ill, travelling), a change to the
week that does not say which, a question about what the engine decided, and a question about
training in general. The post-processor turns the first into a clarify question for the
intent, an engine request the interpreter got wrong into the replan, the third into a clarify
question for the replan type, and a question the interpreter routed wrongly into ``explain``
or ``answer_question`` (``josi.postprocess.postprocess``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from josi._errors import ConfigError
from josi.postprocess._rules import (
    Negation,
    Rule,
    blank,
    lexicon_patterns,
    normalised_forms,
    read_lexicon,
    rule_hit,
)

LEXICON_FILE = "coach_intents.toml"
REQUEST_LEXICON_FILE = "request_intents.toml"
# In precedence order: a goal that is both a plan change and unrealistic ("double my volume
# this week") gets the pushback, which says why as well as that the plan stays.
INTENTS = ("unrealistic_goal", "plan_change")
# In precedence order: a message made only of "help" and "hi" asks for nothing; a named change
# ("move today to friday") outranks an unnamed one ("can we move things around").
# A question about the plan or about training is read after every replan rule, whose own
# `unless` keeps "why" out of them.
REQUEST_INTENTS = ("vague", "replan", "unclear_replan", "explain", "question")


@dataclass(frozen=True)
class IntentHit:
    intent: str  # one of INTENTS
    rule: str  # the lexicon rule that matched, for the record


@dataclass(frozen=True)
class RequestHit:
    intent: str  # one of REQUEST_INTENTS
    rule: str  # the lexicon rule that matched, for the record
    replan_type: str | None = None  # for a replan: the GATCRequest replan_type
    yields_to_minutes: bool = False  # a replan rule that stands down when minutes are named
    # A question whose words say it is one whatever sport it names ("is it bad that I missed two
    # runs?"); other questions stand down on a sport ("z2 ride?" may ask for a ride).
    keeps_with_sport: bool = False


@dataclass(frozen=True)
class _Lexicon:
    # Kinds in precedence order, each with its rules in order and every rule's TOML table
    # (for the rule's extra keys).
    rules: dict[str, tuple[tuple[Rule, Mapping[str, Any]], ...]]
    negation: Negation
    mask: re.Pattern[str] | None

    def first_hit(self, text: str) -> tuple[str, Rule, Mapping[str, Any]] | None:
        """The first kind, in the lexicon's order, and its first rule that ``text`` matches
        outside a negated clause; None for no text or no match."""
        if not isinstance(text, str) or not text.strip():
            return None
        # Normalised once per message, for every kind.
        forms = [blank(self.mask, form) for form in normalised_forms(text)]
        for kind, entries in self.rules.items():
            for rule, table in entries:
                if any(rule_hit(self.negation, rule, form) for form in forms):
                    return kind, rule, table
        return None


def _read(file: str, kinds: tuple[str, ...]) -> _Lexicon:
    data = read_lexicon("josi.postprocess", file)
    patterns = lexicon_patterns(file, data)
    rules: dict[str, tuple[tuple[Rule, Mapping[str, Any]], ...]] = {}
    for kind in kinds:
        raw = data.get(kind)
        if not isinstance(raw, list) or not raw:
            raise ConfigError(f"{file}: needs at least one [[{kind}]] rule")
        rules[kind] = tuple(
            (patterns.rule(r, f"{kind} #{i + 1} ({r.get('id', '?')})"), r)
            for i, r in enumerate(raw)
        )
    phrases = (data.get("mask") or {}).get("phrases") or []
    return _Lexicon(
        rules=rules,
        negation=patterns.negation(data.get("negation") or {}),
        mask=patterns.mask(phrases, "mask.phrases"),
    )


@cache
def _lexicon() -> _Lexicon:
    return _read(LEXICON_FILE, INTENTS)


def detect_coach_intent(text: str) -> IntentHit | None:
    """The first intent of INTENTS that ``text`` expresses, with the rule that matched."""
    hit = _lexicon().first_hit(text)
    return None if hit is None else IntentHit(hit[0], hit[1].id)


# The boolean rule keys of the request lexicon, by the kind that reads them (RequestHit).
_REQUEST_FLAGS = {"replan": "yields_to_minutes", "question": "keeps_with_sport"}


@cache
def _request_lexicon() -> _Lexicon:
    from josi.contracts import load_schema

    lex = _read(REQUEST_LEXICON_FILE, REQUEST_INTENTS)
    known = set(load_schema("gatc_request.schema.json")["$defs"]["replan_type"]["enum"])
    for i, (rule, table) in enumerate(lex.rules["replan"]):
        if table.get("replan_type") not in known:
            where = f"{REQUEST_LEXICON_FILE}: replan #{i + 1} ({rule.id})"
            raise ConfigError(f"{where} needs a replan_type, one of {sorted(known)}")
    for kind, flag in _REQUEST_FLAGS.items():
        for i, (rule, table) in enumerate(lex.rules[kind]):
            if not isinstance(table.get(flag, False), bool):
                where = f"{REQUEST_LEXICON_FILE}: {kind} #{i + 1} ({rule.id})"
                raise ConfigError(f"{where}.{flag} must be a boolean")
    return lex


def detect_request_intent(text: str) -> RequestHit | None:
    """The first of REQUEST_INTENTS that ``text`` expresses, with the rule that matched."""
    hit = _request_lexicon().first_hit(text)
    if hit is None:
        return None
    intent, rule, table = hit
    return RequestHit(
        intent,
        rule.id,
        table.get("replan_type"),
        table.get("yields_to_minutes", False),
        table.get("keeps_with_sport", False),
    )
