"""Interpreter examples: athlete message + context -> one canonical GATCRequest."""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any

from josi.data._contexts import make_context, pick_sport
from josi.data._slots import (
    fatigue_phrase,
    fill,
    indoor_phrase,
    injury_phrase,
    join_clause,
    placeholders,
)
from josi.data._templates import templates
from josi.data._world import (
    MEMORY_KINDS,
    PERSONAS,
    confidence,
    level_word,
    make_gatc_result,
    make_memory,
    make_memory_update,
    target,
    zone_ref,
)
from josi.knowledge import phases, sport_from_name

CLARIFY_SPORT = {
    "en": [
        "Which sport are you training for today?",
        "Which sport would you like to do today?",
        "What would you like to do today: run, ride or something else?",
    ],
    "nl": [
        "Welke sport wil je vandaag doen?",
        "Voor welke sport wil je een training?",
        "Wil je hardlopen, fietsen of iets anders?",
    ],
}
CLARIFY_INTENT = {
    "en": [
        "What would you like to do today: a workout, a change to your plan, or a question?",
        "Happy to help! Do you want a workout, a plan change or an explanation?",
    ],
    "nl": [
        "Wat wil je vandaag doen: een training, je schema aanpassen of iets vragen?",
        "Ik help je graag! Wil je een training, een aanpassing of uitleg?",
    ],
}
CLARIFY_REPLAN = {
    "en": ["What would you like to change: skip today, move a session or make it easier?"],
    "nl": [
        "Wat wil je aanpassen: vandaag overslaan, een training verplaatsen of het lichter maken?"
    ],
}
SPORT_ANSWERS = {
    "en": [
        "{sport}",
        "A {sport} please",
        "Let's go with a {sport}",
        "A {sport}, {time}",
        "{sport} today",
    ],
    "nl": ["Een {sport}", "{sport} graag", "Doe maar een {sport}", "Een {sport}, {time}"],
}
REPLAN_TYPES = (
    "skip_today",
    "swap_days",
    "reschedule",
    "reduce_intensity",
    "illness",
    "travel",
    "goal_change",
)


def _persona(rng: random.Random) -> str:
    return rng.choice(PERSONAS)


def _tier(rng: random.Random, *, monitor: bool = True) -> str:
    options, weights = ("advisor", "coach", "monitor"), (0.4, 0.55, 0.05 if monitor else 0.0)
    return rng.choices(options, weights=weights)[0]


def _row(
    category: str,
    group: str,
    lang: str,
    ctx: dict[str, Any],
    user: str,
    fields: dict[str, Any],
    tags: list[str],
    history: list[dict[str, str]] | None = None,
) -> dict[str, Any]:
    history = history or []
    if history:
        ctx["history"] = history
    expected, text = target(fields)
    return {
        "mode": "interpreter",
        "lang": lang,
        "persona": ctx["persona_id"],
        "category": category,
        "group": group,
        "tags": sorted(set(tags)),
        "context": ctx,
        "history": history,
        "user": user,
        "interpreter_output": None,
        "expected": expected,
        "completion": text,
    }


def _pick_template(
    rng: random.Random, pool: list[str], *, with_sport: bool | None
) -> tuple[int, str]:
    choices = [
        (i, t)
        for i, t in enumerate(pool)
        if with_sport is None or (("sport" in placeholders(t)) == with_sport)
    ]
    return rng.choice(choices)


def _profile_sport(ctx: dict[str, Any]) -> str | None:
    profile = ctx.get("profile_summary")
    return sport_from_name(profile["sport"]) if profile else None


def create_workout(rng: random.Random, lang: str, source: str) -> dict[str, Any]:
    """source: explicit (sport in message), profile, memory, or missing (-> clarify)."""
    pool = templates("messages")["create_workout"][lang]
    index, template = _pick_template(rng, pool, with_sport=source == "explicit")
    tags = [f"sport_from_{source}"]
    ctx = make_context(
        rng,
        lang=lang,
        persona=_persona(rng),
        tier=_tier(rng),
        with_session=rng.random() < 0.7,
        with_profile=source in ("explicit", "profile"),
    )
    if source == "memory":
        ctx["memory"] = make_memory(
            rng,
            lang,
            sport=pick_sport(rng),
            kinds=tuple(rng.sample(MEMORY_KINDS, rng.choice((0, 1)))),
        )
        tags.append("memory")
    elif source == "missing" and rng.random() < 0.3:
        ctx["memory"] = make_memory(rng, lang, kinds=(rng.choice(MEMORY_KINDS),))
        tags.append("memory")
    sport = None
    if "goal" in placeholders(template) or "goal_focus" in placeholders(template):
        sport = rng.choice(("run", "bike", "ski", "skate"))
    filled = fill(rng, template, lang, sport=sport)
    fields: dict[str, Any] = {"free_text": ""}
    if filled.minutes is not None:
        fields["time_available_min"] = filled.minutes
        tags.append("time")
    if filled.goal is not None:
        fields["goal"] = filled.goal
    if filled.fatigue is not None:
        fields["fatigue_hint"] = filled.fatigue
        tags.append("fatigue")
    text = filled.text
    if source == "missing":
        # A clarify request carries no fatigue_hint; the answer turn restores it.
        fields.pop("fatigue_hint", None)
        fields.update(
            action="clarify",
            missing=["sport"],
            clarify_message=rng.choice(CLARIFY_SPORT[lang]),
            confidence=confidence("inferred"),
        )
        fields["free_text"] = text
        return _row("clarify_sport", f"create:{lang}:{index}", lang, ctx, text, fields, tags)
    if source == "explicit":
        sport = filled.sport
        if _profile_sport(ctx) not in (None, sport):
            tags.append("sport_override")
        conf = confidence("clear")
    elif source == "profile":
        sport = _profile_sport(ctx)
        conf = confidence("inferred")
    else:
        fact = ctx["memory"]["key_facts"][0]["fact"]
        sport = sport_from_name(fact.split(": ", 1)[1])
        conf = confidence("inferred")
    fields.update(action="create_workout", sport=sport, confidence=conf)
    roll = rng.random()
    if roll < 0.3 and filled.fatigue is None:
        phrase, hint = fatigue_phrase(rng, lang)
        text = join_clause(rng, text, phrase)
        fields["fatigue_hint"] = hint
        tags.append("fatigue")
    elif roll < 0.42:
        phrase, part = injury_phrase(rng, lang)
        text = join_clause(rng, text, phrase)
        fields["constraints"] = {"injury": part}
        tags.append("injury")
    elif roll < 0.52:
        text = join_clause(rng, text, indoor_phrase(rng, lang))
        fields["constraints"] = {"indoor": True}
        tags.append("indoor")
    fields["free_text"] = text
    return _row("create_workout", f"create:{lang}:{index}", lang, ctx, text, fields, tags)


def hedged(rng: random.Random, lang: str) -> dict[str, Any]:
    pool = templates("messages")["create_workout_hedged"][lang]
    index, template = _pick_template(rng, pool, with_sport=None)
    ctx = make_context(
        rng, lang=lang, persona=_persona(rng), tier=_tier(rng), with_session=rng.random() < 0.6
    )
    filled = fill(rng, template, lang)
    fields = {
        "action": "create_workout",
        "free_text": filled.text,
        "sport": filled.sport,
        "confidence": confidence("moderate"),
    }
    return _row(
        "create_hedged",
        f"hedged:{lang}:{index}",
        lang,
        ctx,
        filled.text,
        fields,
        ["moderate_confidence"],
    )


def ambiguous(rng: random.Random, lang: str) -> dict[str, Any]:
    pool = templates("messages")["ambiguous"][lang]
    index = rng.randrange(len(pool))
    text = pool[index]
    ctx = make_context(
        rng, lang=lang, persona=_persona(rng), tier=_tier(rng), with_session=rng.random() < 0.6
    )
    fields = {
        "action": "clarify",
        "free_text": text,
        "missing": ["intent"],
        "clarify_message": rng.choice(CLARIFY_INTENT[lang]),
        "confidence": confidence("ambiguous"),
    }
    return _row(
        "ambiguous", f"ambiguous:{lang}:{index}", lang, ctx, text, fields, ["low_confidence"]
    )


def replan(rng: random.Random, lang: str, replan_type: str) -> dict[str, Any]:
    pool = templates("messages")["replan"][replan_type][lang]
    index = rng.randrange(len(pool))
    text = pool[index]
    ctx = make_context(
        rng, lang=lang, persona=_persona(rng), tier=_tier(rng), with_profile=rng.random() < 0.8
    )
    fields: dict[str, Any] = {
        "action": "replan",
        "free_text": "",
        "replan_type": replan_type,
        "confidence": confidence("clear"),
    }
    sport = _profile_sport(ctx)
    if sport:
        fields["sport"] = sport
    tags = [f"replan_{replan_type}"]
    if replan_type in ("skip_today", "reduce_intensity") and rng.random() < 0.4:
        phrase, hint = fatigue_phrase(rng, lang)
        if hint in ("tired", "very_tired"):
            text = join_clause(rng, text, phrase)
            fields["constraints"] = {"fatigue_hint": hint}
            tags.append("fatigue")
    fields["free_text"] = text
    return _row("replan", f"replan:{replan_type}:{lang}:{index}", lang, ctx, text, fields, tags)


def replan_unclear(rng: random.Random, lang: str) -> dict[str, Any]:
    pool = templates("messages")["replan_unclear"][lang]
    index = rng.randrange(len(pool))
    text = pool[index]
    ctx = make_context(rng, lang=lang, persona=_persona(rng), tier=_tier(rng))
    fields = {
        "action": "clarify",
        "free_text": text,
        "missing": ["replan_type"],
        "clarify_message": CLARIFY_REPLAN[lang][0],
        "confidence": confidence("inferred"),
    }
    return _row(
        "clarify_replan", f"replan_unclear:{lang}:{index}", lang, ctx, text, fields, ["clarify"]
    )


def question_row(
    category: str,
    action: str,
    group: str,
    lang: str,
    ctx: dict[str, Any],
    text: str,
    tags: list[str],
    history: list[dict[str, str]] | None = None,
) -> dict[str, Any]:
    fields = {
        "action": action,
        "free_text": text,
        "question": text,
        "confidence": confidence("clear"),
    }
    return _row(category, group, lang, ctx, text, fields, tags, history)


# --- questions shared with the coach generator -------------------------------------------


def ask_session(
    rng: random.Random,
    lang: str,
    *,
    zone: str | None = None,
    easy: bool = False,
    level: str | None = None,
    tier: str | None = None,
) -> tuple[str, dict[str, Any], str]:
    key = "explain_easy" if easy else "explain_session"
    return _ask(rng, lang, "messages", key, level=level, zone=zone, tier=tier)


def ask_readiness(
    rng: random.Random, lang: str, *, level: str | None = None
) -> tuple[str, dict[str, Any], str]:
    pool = templates("messages")["explain_readiness"][lang]
    index = rng.randrange(len(pool))
    ctx = make_context(
        rng, lang=lang, persona=_persona(rng), tier=_tier(rng, monitor=False), level=level
    )
    return f"explain_readiness:{lang}:{index}", ctx, pool[index].format(level=level_word(ctx, lang))


def ask_grounded(
    rng: random.Random, lang: str, *, level: str | None = None
) -> tuple[str, dict[str, Any], str]:
    pool = templates("messages")["explain_grounded"][lang]
    index = rng.randrange(len(pool))
    ctx = make_context(
        rng, lang=lang, persona=_persona(rng), tier=_tier(rng, monitor=False), level=level
    )
    sport = _profile_sport(ctx) or "run"
    ctx["gatc_result"] = make_gatc_result(rng, ctx, lang, sport)
    return f"explain_grounded:{lang}:{index}", ctx, pool[index]


def ask_zone(rng: random.Random, lang: str, zone: str) -> tuple[str, dict[str, Any], str]:
    pool = templates("messages")["zone_question"][lang]
    index = rng.randrange(len(pool))
    ctx = make_context(
        rng,
        lang=lang,
        persona=_persona(rng),
        tier=_tier(rng, monitor=False),
        with_session=rng.random() < 0.7,
    )
    text = pool[index].format(zone_ref=zone_ref(rng, zone, lang))
    if pool[index].startswith("{"):
        text = text[0].upper() + text[1:]
    return f"zone_question:{lang}:{index}", ctx, text


def ask_phase(rng: random.Random, lang: str, phase: str) -> tuple[str, dict[str, Any], str]:
    pool = templates("messages")["phase_question"][lang]
    index = rng.randrange(len(pool))
    ctx = make_context(rng, lang=lang, persona=_persona(rng), tier=_tier(rng, monitor=False))
    word = phases()["phases"][phase]["label"][lang]
    word = word if lang == "en" else f"{word}fase"
    return f"phase_question:{lang}:{index}", ctx, pool[index].format(phase_word=word)


def ask_pool(
    rng: random.Random,
    lang: str,
    section: str,
    *,
    level: str | None = None,
    zone: str | None = None,
    tier: str | None = None,
) -> tuple[str, dict[str, Any], str]:
    return _ask(rng, lang, "coach", section, level=level, zone=zone, tier=tier)


def _ask(
    rng: random.Random,
    lang: str,
    file: str,
    section: str,
    *,
    level: str | None,
    zone: str | None,
    tier: str | None,
) -> tuple[str, dict[str, Any], str]:
    """A phrasing from ``templates(file)[section]`` and a context for it: (group, context, text)."""
    pool = templates(file)[section][lang]
    index = rng.randrange(len(pool))
    ctx = make_context(
        rng,
        lang=lang,
        persona=_persona(rng),
        tier=tier or _tier(rng, monitor=False),
        level=level,
        zone=zone,
    )
    return f"{section}:{lang}:{index}", ctx, pool[index]


def ask_topic(rng: random.Random, lang: str, topic: str) -> tuple[str, dict[str, Any], str]:
    pool = templates("coach")["topics"][topic]["q"][lang]
    index = rng.randrange(len(pool))
    ctx = make_context(
        rng,
        lang=lang,
        persona=_persona(rng),
        tier=_tier(rng, monitor=False),
        with_session=rng.random() < 0.6,
    )
    return f"topic:{topic}:{lang}:{index}", ctx, pool[index]


def ask_memory(rng: random.Random, lang: str) -> tuple[str, dict[str, Any], str, str]:
    pool = templates("messages")["memory_tips"][lang]
    index = rng.randrange(len(pool))
    ctx = make_context(rng, lang=lang, persona=_persona(rng), tier=_tier(rng, monitor=False))
    kind = rng.choice(MEMORY_KINDS)
    others = [k for k in MEMORY_KINDS if k != kind and k not in ("morning", "evening")]
    kinds = (
        (kind, *tuple(rng.sample(others, rng.choice((0, 1)))))
        if kind not in ("morning", "evening")
        else (kind,)
    )
    ctx["memory"] = make_memory(rng, lang, kinds=kinds)
    return f"memory_tips:{lang}:{index}", ctx, pool[index], kind


def ask_memory_update(rng: random.Random, lang: str) -> tuple[str, dict[str, Any], str, str, str]:
    """A question with memory that holds an older and a newer fact about one thing: half the time
    one about that thing (answer_question), otherwise a request for tips (explain)."""
    updates = templates("coach")["memory_updates"]
    kind = rng.choice(sorted(updates))
    ctx = make_context(rng, lang=lang, persona=_persona(rng), tier=_tier(rng, monitor=False))
    ctx["memory"] = make_memory_update(rng, lang, kind)
    if rng.random() < 0.5:
        # kinds share some questions; the group is the question, so it never crosses splits
        text = rng.choice(updates[kind]["questions"][lang])
        return f"memory_update:{lang}:{text}", ctx, text, kind, "answer_question"
    # the same group as memory_tips' rows with this message, for the same reason
    pool = templates("messages")["memory_tips"][lang]
    index = rng.randrange(len(pool))
    return f"memory_tips:{lang}:{index}", ctx, pool[index], kind, "explain"


# --- multi-turn ---------------------------------------------------------------------------


def multi_clarify_answer(rng: random.Random, lang: str) -> dict[str, Any]:
    """The athlete answers an earlier sport question; time from the first turn carries over."""
    pool = templates("messages")["create_workout"][lang]
    _index, first_template = _pick_template(rng, pool, with_sport=False)
    first = fill(rng, first_template, lang)
    question = rng.choice(CLARIFY_SPORT[lang])
    history = [{"role": "user", "message": first.text}, {"role": "assistant", "message": question}]
    answers = SPORT_ANSWERS[lang]
    a_index = rng.randrange(len(answers))
    answer = answers[a_index]
    if first.minutes is not None:
        answer = answer.replace(", {time}", "")
    reply = fill(rng, answer, lang)
    ctx = make_context(
        rng,
        lang=lang,
        persona=_persona(rng),
        tier=_tier(rng),
        with_profile=False,
        with_session=rng.random() < 0.6,
    )
    minutes = reply.minutes if reply.minutes is not None else first.minutes
    fields: dict[str, Any] = {
        "action": "create_workout",
        "free_text": reply.text,
        "sport": reply.sport,
        "confidence": confidence("clear"),
    }
    if minutes is not None:
        fields["time_available_min"] = minutes
    if first.goal is not None:
        fields["goal"] = first.goal
    if first.fatigue is not None:
        fields["fatigue_hint"] = first.fatigue
    # Grouped by the answer phrasing: that is the message the model is trained on.
    return _row(
        "multi_turn_clarify",
        f"multi_clarify:{lang}:{a_index}",
        lang,
        ctx,
        reply.text,
        fields,
        ["multi_turn", "sport_from_answer"],
        history,
    )


def multi_explain_then_replan(
    rng: random.Random, lang: str, first_reply: Callable[[random.Random, dict[str, Any], str], str]
) -> dict[str, Any]:
    _group, ctx, question = ask_session(rng, lang, tier="coach")
    history = [
        {"role": "user", "message": question},
        {"role": "assistant", "message": first_reply(rng, ctx, lang)},
    ]
    replan_type = rng.choice(("skip_today", "reschedule", "reduce_intensity", "swap_days"))
    pool = templates("messages")["replan"][replan_type][lang]
    index = rng.randrange(len(pool))
    text = pool[index]
    fields: dict[str, Any] = {
        "action": "replan",
        "free_text": text,
        "replan_type": replan_type,
        "confidence": confidence("clear"),
    }
    sport = _profile_sport(ctx)
    if sport:
        fields["sport"] = sport
    # Same phrasing group as the single-turn replan rows, so a phrasing stays in one split.
    return _row(
        "multi_turn_replan",
        f"replan:{replan_type}:{lang}:{index}",
        lang,
        ctx,
        text,
        fields,
        ["multi_turn", f"replan_{replan_type}"],
        history,
    )
