"""Deterministic corrections applied to a parsed GATCRequest before routing.

Order: free_text is the athlete's message; red flags are detected (they win
later in the router); a message that asks for the plan to be changed or names an
unrealistic goal (``detect_coach_intent``) never reaches the engine: an engine
action becomes a question for the coach, where code answers it (contract I6,
pushback). Otherwise the message's request intent (``detect_request_intent``)
is read: a message that asks for nothing in particular becomes a clarify
question for the intent; a replan named in plain words that the interpreter
wrote as a new workout or a clarify question becomes that replan; a change to
the week that does not say which becomes a clarify question for the replan
type; a question about today's session or about training in general that the
interpreter routed elsewhere becomes ``explain`` or ``answer_question``, unless
the message names its minutes (or, for a general question, a sport, unless its
words make it a question whatever the sport: ``keeps_with_sport``). Then time
available comes from the message when it names one; the sport named in the
message wins; a workout with no sport anywhere (message, profile, memory)
becomes a clarify question in the athlete's language. Every change is listed in
``PostResult.changes``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cache
from typing import Any

from josi.contracts import canonical_request, key_order, verbatim_free_text
from josi.lang import detect_language
from josi.postprocess._intents import (
    QUESTION_RULE,
    detect_coach_intent,
    detect_request_intent,
    planned_minutes,
    question_about_the_plan,
    question_reading_applies,
    reads_as_question,
)
from josi.postprocess._redflags import detect_red_flags, red_flag_reply
from josi.postprocess._sport import find_sports, normalize_sport
from josi.postprocess._time import SESSION_MINUTES, extract_minutes

# What the interpreter writes for a replan it misses: a new workout (the engine would add a
# session the athlete just said they cannot do) or a question back. Questions for the coach
# keep their action: "can I train with a cold?" asks, it does not replan.
_REPLAN_MISREAD_AS = ("create_workout", "clarify")
# What the interpreter writes for a question it misses, per question kind: the action the
# kind gives, and the actions it corrects. A replan the model wrote for "why is today so
# easy?" stays (the replan rules and the coach lexicon read plan changes); "skipped monday,
# does that matter" is a question the engine must not act on.
_QUESTION_MISREAD_AS = {
    "explain": ("explain", ("create_workout", "clarify", "answer_question")),
    "question": ("answer_question", ("create_workout", "clarify", "replan", "explain")),
}
_TERMINAL = (".", "?", "!", "…", '?"', "?”")

CLARIFY_SPORT = {
    "en": "Which sport would you like to train today?",
    "nl": "Welke sport wil je vandaag trainen?",
}
CLARIFY_REPLAN_TYPE = {
    "en": "What would you like to change: skip today, move a session or make it easier?",
    "nl": "Wat wil je aanpassen: vandaag overslaan, een training verplaatsen of het lichter maken?",
}


@dataclass(frozen=True)
class PostResult:
    request: dict[str, Any]
    changes: tuple[str, ...]
    red_flags: tuple[str, ...]
    safe_reply: str | None


def message_language(user_message: str, ctx: Mapping[str, Any] | None) -> str:
    """The athlete's language: the message's, else the app language, else English."""
    default = (ctx or {}).get("language") or "en"
    return detect_language(user_message, default=default if default in ("en", "nl") else "en")


def known_sports(ctx: Mapping[str, Any] | None) -> tuple[str | None, tuple[str, ...]]:
    """(profile sport, sports in memory facts), normalized to the enum."""
    ctx = ctx or {}
    profile = ctx.get("profile_summary") or {}
    profile_sport = normalize_sport(profile.get("sport"))
    memory_sports: list[str] = []
    for fact in (ctx.get("memory") or {}).get("key_facts") or ():
        if isinstance(fact, Mapping) and fact.get("category", "sport") == "sport":
            sport = normalize_sport(str(fact.get("fact", "")))
            if sport and sport not in memory_sports:
                memory_sports.append(sport)
    return profile_sport, tuple(memory_sports)


def postprocess(
    request: Mapping[str, Any], *, user_message: str, ctx: Mapping[str, Any] | None
) -> PostResult:
    """Correct ``request`` (a valid GATCRequest) using the message and the context."""
    out = dict(request)
    changes: list[str] = []
    action = out["action"]
    allowed = set(key_order(action))
    message = user_message if isinstance(user_message, str) else ""
    lang = message_language(message, ctx)

    verbatim = verbatim_free_text(message)
    if verbatim and out.get("free_text") != verbatim:
        out["free_text"] = verbatim
        changes.append("free_text: set to the athlete's message")
    if action in ("explain", "answer_question") and not out.get("question"):
        out["question"] = out["free_text"]
        changes.append("question: set to the athlete's message")

    flags = detect_red_flags(message)

    # Engine actions, and the actions a replan below may replace: a coach-bound message meets
    # the same lexicon in the coach step.
    reaches_engine = action in engine_actions() or action in _REPLAN_MISREAD_AS
    intent = detect_coach_intent(message, planned=planned_minutes(ctx)) if reaches_engine else None
    if intent is not None:
        # A 135M interpreter routes "make today harder" to a replan or a new workout often
        # enough that the engine would change the plan on request; the coach step declines it
        # from code instead (josi.routing.coach_contract_reply).
        out = _coach_question(out)
        changes.append(f"action: {action} -> answer_question ({intent.intent}: {intent.rule})")

    minutes = extract_minutes(message)
    asked = detect_request_intent(message) if intent is None else None
    if asked is not None and asked.intent == "vague":
        if out["action"] != "clarify" or out.get("missing") != ["intent"]:
            # "help", "hi", "geen idee": whatever a 135M interpreter guesses is a guess.
            out = _clarify(out, "intent", _dispatch_message("clarify_fallback", lang))
            changes.append(f"action: {action} -> clarify (vague: {asked.rule})")
    elif (
        asked is not None
        and asked.replan_type is not None
        and action in _REPLAN_MISREAD_AS
        and not (asked.yields_to_minutes and minutes is not None)
    ):
        out = _replan(out, asked.replan_type)
        changes.append(f"action: {action} -> replan {asked.replan_type} (request: {asked.rule})")
    elif (
        asked is not None
        and asked.intent == "unclear_replan"
        and reaches_engine
        and out.get("missing") != ["replan_type"]
    ):
        # "can we adjust things": any replan type the interpreter picks is a guess the engine
        # would act on; asking costs the athlete one short answer.
        out = _clarify(out, "replan_type", CLARIFY_REPLAN_TYPE[lang])
        changes.append(f"action: {action} -> clarify (unclear replan: {asked.rule})")
    elif (
        asked is not None
        and asked.intent in _QUESTION_MISREAD_AS
        and action in _QUESTION_MISREAD_AS[asked.intent][1]
        # A question that names the planned session's minutes ("is it just 60 min z2 today?")
        # describes today's session, where other minutes offer time for a new one.
        and (minutes is None or (asked.intent == "explain" and minutes == planned_minutes(ctx)))
        and not (asked.intent == "question" and not asked.keeps_with_sport and find_sports(message))
    ):
        # A session request names its minutes or its sport; a question about today does not.
        given = _QUESTION_MISREAD_AS[asked.intent][0]
        out = _coach_question(out, given)
        changes.append(f"action: {action} -> {given} ({asked.intent}: {asked.rule})")
    elif (
        action in engine_actions()
        and question_reading_applies(minutes, asked, intent)
        and reads_as_question(message)
    ):
        # A 135M interpreter writes a new workout, or a replan, for questions no rule lists
        # ("tips for running in the heat?", "koffie voor het lopen, goed of slecht?"); the
        # engine would build a session or change the plan nobody asked for. The learned
        # reading was fitted to turn almost no engine request into a question
        # (question_model.json).
        given = "explain" if question_about_the_plan(message) else "answer_question"
        out = _coach_question(out, given)
        changes.append(f"action: {action} -> {given} ({QUESTION_RULE})")
    action = out["action"]
    allowed = set(key_order(action))

    if (
        "time_available_min" in allowed
        and minutes is not None
        and SESSION_MINUTES[0] <= minutes <= SESSION_MINUTES[1]
        and out.get("time_available_min") != minutes
    ):
        changes.append(
            f"time_available_min: {out.get('time_available_min')} -> {minutes} (message)"
        )
        out["time_available_min"] = minutes

    profile_sport, memory_sports = known_sports(ctx)
    named = named_sport(message, out.get("sport"), profile_sport)
    # Only engine actions carry the sport onward; questions keep the model's fields.
    if action in ("create_workout", "replan"):
        current = out.get("sport")
        if named and current != named:
            changes.append(f"sport: {current} -> {named} (named in the message)")
            out["sport"] = named
        elif action == "create_workout" and not named:
            supported = {s for s in (profile_sport, *memory_sports) if s}
            if current not in supported:
                fallback = profile_sport or (memory_sports[0] if memory_sports else None)
                if fallback:
                    changes.append(f"sport: {current} -> {fallback} (profile)")
                    out["sport"] = fallback
                else:
                    out = _clarify_sport(out, lang)
                    changes.append(
                        "action: create_workout -> clarify (no sport in message or profile)"
                    )

    if out["action"] == "clarify":
        text = (out.get("clarify_message") or "").strip()
        if not text.endswith(_TERMINAL):
            missing = out.get("missing") or []
            replacement = CLARIFY_SPORT[lang] if "sport" in missing else None
            if replacement is None:
                replacement = _dispatch_message("clarify_fallback", lang)
            out["clarify_message"] = replacement
            changes.append("clarify_message: replaced an unfinished question")

    out = canonical_request(out)
    safe = red_flag_reply(lang) if flags else None
    return PostResult(out, tuple(changes), flags, safe)


@cache
def engine_actions() -> tuple[str, ...]:
    """The actions the dispatch table sends to the engine (read once: every turn asks)."""
    from josi.contracts import load_tool_dispatch

    actions = load_tool_dispatch()["actions"]
    return tuple(name for name, spec in actions.items() if spec["engine_call"])


def _coach_question(request: Mapping[str, Any], action: str = "answer_question") -> dict[str, Any]:
    # No confidence: the model's figure was for the action it chose, and the router executes a
    # request without one (tool_dispatch.json, confidence_gate.missing_confidence).
    return {"action": action, "free_text": request["free_text"], "question": request["free_text"]}


def _clarify(request: Mapping[str, Any], missing: str, message: str) -> dict[str, Any]:
    return {
        "action": "clarify",
        "free_text": request["free_text"],
        "missing": [missing],
        "clarify_message": message,
    }


def _dispatch_message(key: str, lang: str) -> str:
    from josi.contracts import load_tool_dispatch

    return load_tool_dispatch()["messages"][key][lang]


def _replan(request: Mapping[str, Any], replan_type: str) -> dict[str, Any]:
    # What the athlete said about themselves carries over. A time the model wrote for the
    # workout it had in mind does not (the message's own time is read after this), and the
    # confidence is dropped for the reason _coach_question gives.
    keep = {"free_text", "sport", "goal", "fatigue_hint", "constraints"}
    out: dict[str, Any] = {"action": "replan", "replan_type": replan_type}
    out.update({key: value for key, value in request.items() if key in keep})
    return out


def named_sport(message: str, current: str | None, profile_sport: str | None) -> str | None:
    """The sport the message asks for.

    With several sports named ("instead of running, a strength session"), the
    profile sport is usually named only as the contrast, so the others count;
    among several others the model's choice stands, else the first one named.
    """
    found = find_sports(message)
    if len(found) <= 1:
        return found[0] if found else None
    others = [s for s in found if s != profile_sport]
    if len(others) == 1:
        return others[0]
    if current in others:
        return current
    return others[0] if others else found[0]


def _clarify_sport(request: Mapping[str, Any], lang: str) -> dict[str, Any]:
    out: dict[str, Any] = {
        "action": "clarify",
        "free_text": request["free_text"],
        "missing": ["sport"],
        "clarify_message": CLARIFY_SPORT[lang],
    }
    keep = set(key_order("clarify"))
    for key in ("time_available_min", "goal", "confidence"):
        if key in request and key in keep:
            out[key] = request[key]
    return out
