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
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from josi._errors import ConfigError
from josi.postprocess._learned import plan_change_model, question_model
from josi.postprocess._rules import (
    Negation,
    Rule,
    blank,
    lexicon_patterns,
    normalised_forms,
    read_lexicon,
    rule_hit,
)
from josi.postprocess._time import SESSION_MINUTES, durations, extract_minutes

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
    # The lexicon's [learned] patterns, one key per lexicon (``_read``'s ``learned_key``): the
    # coach lexicon's `unless`, where the learned plan-change reading stands down; the request
    # lexicon's `explain`, where a question the learned question reading finds is about the
    # athlete's plan.
    learned: re.Pattern[str] | None = None

    def first_hit(
        self, text: str, *, holds: Callable[[Mapping[str, Any]], bool] | None = None
    ) -> tuple[str, Rule, Mapping[str, Any]] | None:
        """The first kind, in the lexicon's order, and its first rule that ``text`` matches
        outside a negated clause and whose table ``holds`` (every rule when None); None for no
        text or no match."""
        if not isinstance(text, str) or not text.strip():
            return None
        # Normalised once per message, for every kind.
        forms = [blank(self.mask, form) for form in normalised_forms(text)]
        for kind, entries in self.rules.items():
            for rule, table in entries:
                if holds is not None and not holds(table):
                    continue
                if any(rule_hit(self.negation, rule, form) for form in forms):
                    return kind, rule, table
        return None


def _read(file: str, kinds: tuple[str, ...], learned_key: str) -> _Lexicon:
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
    learned = data.get("learned")
    return _Lexicon(
        rules=rules,
        negation=patterns.negation(data.get("negation") or {}),
        mask=patterns.mask(phrases, "mask.phrases"),
        learned=(
            None
            if learned is None
            else patterns.compile(
                learned.get(learned_key) if isinstance(learned, dict) else None,
                f"learned.{learned_key}",
            )
        ),
    )


def _require_boolean_flags(lex: _Lexicon, file: str, flags: Mapping[str, str]) -> None:
    """A ConfigError unless each kind's rules give its flag (``flags``: kind -> key) as a
    boolean, where they give it at all."""
    for kind, flag in flags.items():
        for i, (rule, table) in enumerate(lex.rules[kind]):
            if not isinstance(table.get(flag, False), bool):
                where = f"{file}: {kind} #{i + 1} ({rule.id})"
                raise ConfigError(f"{where}.{flag} must be a boolean")


# A coach-lexicon rule with this key set reads a session asked to last some minutes ("make it
# 75 minutes", "maak er 1u30 van"), which is a plan change only when that is longer than the
# planned session: such a rule holds only where the message names more minutes than the plan.
_LONGER_THAN_PLANNED = "longer_than_planned"


@cache
def _lexicon() -> _Lexicon:
    lex = _read(LEXICON_FILE, INTENTS, "unless")
    _require_boolean_flags(lex, LEXICON_FILE, dict.fromkeys(INTENTS, _LONGER_THAN_PLANNED))
    return lex


def planned_minutes(ctx: Mapping[str, Any] | None) -> int | None:
    """The planned session's length in minutes, or None where the context plans none."""
    session = ctx.get("planned_session") if isinstance(ctx, Mapping) else None
    minutes = session.get("target_duration_min") if isinstance(session, Mapping) else None
    return minutes if isinstance(minutes, int) and not isinstance(minutes, bool) else None


def detect_coach_intent(
    text: str, *, planned: int | None = None, learned: bool = False
) -> IntentHit | None:
    """The first intent of INTENTS that ``text`` expresses, with the rule that matched.

    ``planned`` is the planned session's minutes (``planned_minutes``): a message that asks
    for a session of more minutes than that asks for a longer one. Without it, no rule that
    needs the comparison matches.

    With ``learned``, a message no rule reads is a plan change where the learned model
    (``plan_change_model.json``) reads one at its threshold, unless the request lexicon reads
    the message or the coach lexicon's ``[learned] unless`` does, or the message names minutes
    that are not more than the planned session's: rule ``plan_change_model``.
    """
    # The message's minutes, read once: the rules that compare them and the learned reading
    # both need them.
    named = _session_minutes(text) if planned is not None or learned else []
    longer = _longer(named, planned)

    def holds(table: Mapping[str, Any]) -> bool:
        return longer or not table.get(_LONGER_THAN_PLANNED, False)

    hit = _lexicon().first_hit(text, holds=holds)
    if hit is not None:
        return IntentHit(hit[0], hit[1].id)
    if learned and _model_reads(text, plan_change_model().threshold, named, planned):
        return IntentHit("plan_change", LEARNED_RULE)
    return None


# The rule name a learned reading is recorded with.
LEARNED_RULE = "plan_change_model"


def _session_minutes(text: str) -> list[int]:
    low, high = SESSION_MINUTES
    return [minutes for minutes in durations(text) if low <= minutes <= high]


def _longer(named: list[int], planned: int | None) -> bool:
    """Whether the minutes ``named`` hold more than the planned session's ``planned``."""
    return planned is not None and any(m > planned for m in named)


def learned_reads(
    text: str,
    threshold: float,
    *,
    planned: int | None = None,
    probability: Callable[[str], float] | None = None,
) -> bool:
    """Whether the learned model reads ``text`` as a plan change at ``threshold``, where the
    lexicons leave it to the model: what the engine serves, what the request lexicon reads as
    a question or a replan, and minutes not more than the planned session's ``planned``."""
    return _model_reads(text, threshold, _session_minutes(text), planned, probability)


def _model_reads(
    text: str,
    threshold: float,
    named: list[int],
    planned: int | None,
    probability: Callable[[str], float] | None = None,
) -> bool:
    if not isinstance(text, str) or not text.strip():
        return False
    # The model does not see the plan: minutes it cannot compare with it are not its call.
    if named and not _longer(named, planned):
        return False
    unless = _lexicon().learned
    if unless is not None and any(unless.search(form) for form in normalised_forms(text)):
        return False
    if detect_request_intent(text) is not None:
        return False
    return (probability or plan_change_model().probability)(text) >= threshold


# The boolean rule keys of the request lexicon, by the kind that reads them (RequestHit).
_REQUEST_FLAGS = {"replan": "yields_to_minutes", "question": "keeps_with_sport"}


@cache
def _request_lexicon() -> _Lexicon:
    from josi.contracts import load_schema

    lex = _read(REQUEST_LEXICON_FILE, REQUEST_INTENTS, "explain")
    known = set(load_schema("gatc_request.schema.json")["$defs"]["replan_type"]["enum"])
    for i, (rule, table) in enumerate(lex.rules["replan"]):
        if table.get("replan_type") not in known:
            where = f"{REQUEST_LEXICON_FILE}: replan #{i + 1} ({rule.id})"
            raise ConfigError(f"{where} needs a replan_type, one of {sorted(known)}")
    _require_boolean_flags(lex, REQUEST_LEXICON_FILE, _REQUEST_FLAGS)
    return lex


# The rule name the learned question reading is recorded with.
QUESTION_RULE = "question_model"


def question_reading_applies(
    minutes: int | None, asked: RequestHit | None, intent: IntentHit | None
) -> bool:
    """Whether the post-processor asks the learned question reading about a message the
    interpreter wrote as an engine request (a new workout or a replan), from what it read in
    it: no lexicon reads it and it names no minutes, which a session request names and a
    question rarely does."""
    return minutes is None and asked is None and intent is None


def question_reading_consulted(text: str) -> bool:
    """``question_reading_applies`` for ``text`` read on its own, without a plan (the fit's
    validation)."""
    return question_reading_applies(
        extract_minutes(text), detect_request_intent(text), detect_coach_intent(text)
    )


def reads_as_question(text: str) -> bool:
    """Whether the learned question reading finds a question for the coach in ``text``."""
    model = question_model()
    return model.probability(text) >= model.threshold


def question_about_the_plan(text: str) -> bool:
    """Whether a question the learned reading found names the athlete's own plan or today's
    session (``request_intents.toml [learned] explain``): explain, not a general question."""
    pattern = _request_lexicon().learned
    return pattern is not None and any(pattern.search(form) for form in normalised_forms(text))


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
