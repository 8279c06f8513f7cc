"""Coach scenarios (question + context) and persona-aware replies that pass every scorer."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from josi.data._contexts import canonical_level
from josi.data._interpreter import (
    _profile_sport,
    ask_grounded,
    ask_memory,
    ask_memory_update,
    ask_phase,
    ask_pool,
    ask_readiness,
    ask_session,
    ask_topic,
    ask_zone,
    question_row,
)
from josi.data._messages import build_row_messages, visible_text
from josi.data._templates import templates
from josi.data._world import confidence, level_word, make_gatc_result, target, zone_words
from josi.knowledge import limits, personas, phases, readiness, zones
from josi.scorers import coach_checks, failures, newer_fact

Builder = Callable[[random.Random], tuple[list[str], list[str], dict[str, Any]]]


@dataclass
class Scenario:
    category: str
    group: str
    lang: str
    ctx: dict[str, Any]
    user: str
    action: str
    builder: Builder
    tags: list[str] = field(default_factory=list)
    history: list[dict[str, str]] = field(default_factory=list)
    expect: tuple[str, ...] = ()
    red_flag: bool = False
    # words of an older fact that a newer one replaced: the reply must not repeat them
    outdated: tuple[str, ...] = ()


def _cap(text: str) -> str:
    return text[0].upper() + text[1:] if text else text


def _session_slots(ctx: dict[str, Any], lang: str) -> dict[str, Any]:
    session = ctx["planned_session"]
    level = canonical_level(ctx)
    slots = {
        "dur": session["target_duration_min"],
        "label": session["structure_label"],
        "level": level_word(ctx, lang),
        "cap_phrase": readiness()["levels"][level]["cap_phrase"][lang],
    }
    slots.update(zone_words(session["target_zone"], lang))
    phase = session.get("phase")
    slots["phase_meaning"] = phases()["phases"][phase]["meaning"][lang] if phase else ""
    return slots


def _zone_sentences(zone: str, lang: str, rng: random.Random) -> dict[str, str]:
    spec = zones()["zones"][zone]
    return {k: rng.choice(spec[k][lang]) for k in ("meaning", "feel", "use", "safety")}


def _session_lead(rng: random.Random, ctx: dict[str, Any], lang: str) -> str:
    gatc = ctx.get("gatc_result")
    if gatc:
        # The engine's workout is what the athlete gets: name it, not the planned session.
        return _engine_lead(rng, gatc, lang)
    return rng.choice(templates("coach")["session"][lang]["lead"]).format(
        **_session_slots(ctx, lang)
    )


def _engine_lead(rng: random.Random, gatc: dict[str, Any], lang: str) -> str:
    return rng.choice(templates("coach")["grounded"][lang]["lead"]).format(
        summary=gatc["workout_summary"]
    )


def _engine_reasons(rng: random.Random, gatc: dict[str, Any], lang: str) -> list[str]:
    """The engine's reasons as sentences, in a random order; its zone cap last, when it has one."""
    pools = templates("coach")["grounded"][lang]
    bullets = list(gatc["rationale_bullets"])
    rng.shuffle(bullets)
    sentences = []
    for bullet in bullets:
        if ":" in bullet:
            sentences.append(_cap(bullet) + ".")
        else:
            low = bullet[0].lower() + bullet[1:]
            sentences.append(rng.choice(pools["bullet"]).format(bullet=low, Bullet=_cap(bullet)))
    if gatc.get("safety_caps_applied"):
        cap = gatc["safety_caps_applied"].split()[1]
        sentences.append(rng.choice(pools["cap"]).format(cap=cap))
    return sentences


def first_reply(rng: random.Random, ctx: dict[str, Any], lang: str) -> str:
    """A short earlier coach turn for multi-turn histories."""
    zone = ctx["planned_session"]["target_zone"]
    return f"{_session_lead(rng, ctx, lang)} {_zone_sentences(zone, lang, rng)['meaning']}"


# --- reply composition --------------------------------------------------------------------


def _after_colon(sentence: str) -> str:
    """Dutch continues lowercase after a colon ("Simpel: vandaag ..."); acronyms keep their case."""
    if len(sentence) > 1 and sentence[0].isupper() and sentence[1].islower():
        return sentence[0].lower() + sentence[1:]
    return sentence


def compose(
    rng: random.Random,
    persona: str,
    lang: str,
    core: list[str],
    optional: list[str],
    *,
    opener_pool: list[str] | None = None,
    closer_pool: list[str] | None = None,
    question_ok: bool = True,
) -> str:
    cfg = limits()["coach"]
    spec = personas()["personas"][persona]
    always = persona == "encouraging"
    opener = None
    if always or rng.random() < 0.75:
        opener = rng.choice(list(opener_pool or spec["openers"][lang]))
    closer = None
    if always or rng.random() < 0.7:
        closer = rng.choice(list(closer_pool or spec["closers"][lang]))
    question = None
    if question_ok and rng.random() < 0.2:
        question = rng.choice(list(spec["questions"][lang]))
    extra = list(optional)
    rng.shuffle(extra)
    body = [_cap(s) for s in core if s]

    def text(parts: list[str]) -> str:
        head = [opener] if opener else []
        if opener and opener.endswith(":") and lang == "nl" and parts:
            parts = [_after_colon(parts[0]), *parts[1:]]
        tail = [p for p in (closer, question) if p]
        return " ".join(head + parts + tail)

    def words(parts: list[str]) -> int:
        return len(text(parts).split())

    while extra and words(body) < cfg["target_min_words"]:
        candidate = _cap(extra.pop())
        if candidate and words([*body, candidate]) <= cfg["target_max_words"]:
            body.append(candidate)
    if persona != "direct" and extra and rng.random() < 0.4:
        candidate = _cap(extra.pop())
        if candidate and words([*body, candidate]) <= cfg["target_max_words"]:
            body.append(candidate)
    if words(body) > cfg["target_max_words"] and question:
        question = None
    if words(body) > cfg["target_max_words"] and opener and not always:
        opener = None
    return text(body)


# --- scenarios ----------------------------------------------------------------------------


def session_explain(rng: random.Random, lang: str, zone: str) -> Scenario:
    from josi.data._contexts import LEVELS, zone_allowed

    level = rng.choice([lv for lv in LEVELS if zone_allowed(zone, lv)])
    group, ctx, text = ask_session(rng, lang, zone=zone, level=level)

    def build(r: random.Random):
        z = _zone_sentences(zone, lang, r)
        pools = templates("coach")["session"][lang]
        slots = _session_slots(ctx, lang)
        optional = [z["feel"], z["use"], z["safety"], r.choice(pools["readiness"]).format(**slots)]
        if slots["phase_meaning"]:
            optional.append(r.choice(pools["phase"]).format(**slots))
        return [_session_lead(r, ctx, lang), z["meaning"]], optional, {}

    return Scenario("explain_session", group, lang, ctx, text, "explain", build, [f"zone_{zone}"])


def explain_easy(rng: random.Random, lang: str, level: str) -> Scenario:
    zone = rng.choice(("R", "Z1", "Z2"))
    group, ctx, text = ask_session(rng, lang, zone=zone, easy=True, level=level)

    def build(r: random.Random):
        lvl = readiness()["levels"][canonical_level(ctx)]
        pools = templates("coach")["session"][lang]
        slots = _session_slots(ctx, lang)
        z = _zone_sentences(zone, lang, r)
        core = [r.choice(lvl["meaning"][lang]), _session_lead(r, ctx, lang)]
        optional = [
            r.choice(pools["readiness"]).format(**slots),
            z["feel"],
            r.choice(lvl["advice"][lang]),
            z["meaning"],
        ]
        return core, optional, {}

    return Scenario(
        "explain_easy", group, lang, ctx, text, "explain", build, [f"zone_{zone}", f"level_{level}"]
    )


def readiness_explain(rng: random.Random, lang: str, level: str) -> Scenario:
    group, ctx, text = ask_readiness(rng, lang, level=level)

    def build(r: random.Random):
        lvl = readiness()["levels"][canonical_level(ctx)]
        pools = templates("coach")["readiness_explain"][lang]
        slots = _session_slots(ctx, lang)
        core = [r.choice(pools["lead"]).format(**slots), r.choice(lvl["meaning"][lang])]
        optional = [
            r.choice(pools["plan"]).format(**slots),
            r.choice(lvl["advice"][lang]),
            r.choice(templates("coach")["session"][lang]["readiness"]).format(**slots),
        ]
        return core, optional, {"question_ok": False}

    return Scenario(
        "explain_readiness", group, lang, ctx, text, "explain", build, [f"level_{level}"]
    )


def zone_question(rng: random.Random, lang: str, zone: str) -> Scenario:
    group, ctx, text = ask_zone(rng, lang, zone)

    def build(r: random.Random):
        z = _zone_sentences(zone, lang, r)
        return [z["meaning"], z["feel"]], [z["use"], z["safety"]], {"question_ok": False}

    return Scenario(
        "zone_question", group, lang, ctx, text, "answer_question", build, [f"zone_{zone}"]
    )


def phase_question(rng: random.Random, lang: str, phase: str) -> Scenario:
    group, ctx, text = ask_phase(rng, lang, phase)

    def build(r: random.Random):
        meaning = _cap(phases()["phases"][phase]["meaning"][lang]) + "."
        zone = ctx["planned_session"]["target_zone"]
        z = _zone_sentences(zone, lang, r)
        lead = _session_lead(r, ctx, lang)
        advice = r.choice(readiness()["levels"][canonical_level(ctx)]["advice"][lang])
        return [meaning], [f"{lead} {z['meaning']}", advice], {"question_ok": False}

    return Scenario(
        "phase_question", group, lang, ctx, text, "answer_question", build, [f"phase_{phase}"]
    )


def topic_question(rng: random.Random, lang: str, topic: str) -> Scenario:
    group, ctx, text = ask_topic(rng, lang, topic)

    def build(r: random.Random):
        answers = list(templates("coach")["topics"][topic]["a"][lang])
        r.shuffle(answers)
        return answers[:2], answers[2:], {"question_ok": False}

    return Scenario(
        "general_question", group, lang, ctx, text, "answer_question", build, [f"topic_{topic}"]
    )


def grounded(rng: random.Random, lang: str, level: str) -> Scenario:
    group, ctx, text = ask_grounded(rng, lang, level=level)
    gatc = ctx["gatc_result"]

    def build(r: random.Random):
        core = [_engine_lead(r, gatc, lang)]
        reasons = _engine_reasons(r, gatc, lang)
        core.append(reasons[0])
        optional = reasons[1:]
        if gatc.get("safety_caps_applied"):
            core.append(optional.pop())
        zone = ctx["planned_session"]["target_zone"]
        optional.append(_zone_sentences(zone, lang, r)["feel"])
        return core, optional, {}

    return Scenario(
        "grounded_explain",
        group,
        lang,
        ctx,
        text,
        "explain",
        build,
        ["gatc_result", f"level_{level}"],
    )


# Coach questions about today's session. In the app the engine has just run for these turns,
# so its result can sit in their context as well; the grounded_explain family alone would teach
# the model to name the result after a few phrasings rather than whenever it is there.
ENGINE_RESULT_CATEGORIES = (
    "explain_session",
    "explain_easy",
    "explain_readiness",
    "followup_why_not_harder",
)


def attach_engine_result(rng: random.Random, s: Scenario) -> Scenario:
    """Put an engine result into the scenario's context; its reply names the result's workout
    and gives the result's first reason, around the scenario's own explanation."""
    if s.category not in ENGINE_RESULT_CATEGORIES:
        raise ValueError(f"{s.category!r} is not a question about today's session")
    gatc = make_gatc_result(rng, s.ctx, s.lang, _profile_sport(s.ctx) or "run")
    s.ctx["gatc_result"] = gatc
    inner = s.builder

    def build(r: random.Random):
        core, optional, options = inner(r)
        if not any(gatc["workout_summary"] in sentence for sentence in core):
            core = [_engine_lead(r, gatc, s.lang), *core]
        reasons = _engine_reasons(r, gatc, s.lang)
        return [*core, reasons[0]], [*optional, *reasons[1:]], options

    s.builder = build
    s.tags = [*s.tags, "gatc_result"]
    return s


def memory_tips(rng: random.Random, lang: str) -> Scenario:
    group, ctx, text, kind = ask_memory(rng, lang)

    def build(r: random.Random):
        use = r.choice(templates("coach")["memory_facts"][kind]["use"][lang])
        zone = ctx["planned_session"]["target_zone"]
        z = _zone_sentences(zone, lang, r)
        return [_session_lead(r, ctx, lang), use], [z["feel"], z["safety"], z["meaning"]], {}

    return Scenario(
        "memory_use", group, lang, ctx, text, "explain", build, ["memory", f"memory_{kind}"]
    )


_UPDATE_TAG = "memory_update_"


def memory_update_kind(row: dict[str, Any]) -> str | None:
    """The kind (``coach.memory_updates``) of a memory_update row, read from its tag; else None."""
    kinds = [t.removeprefix(_UPDATE_TAG) for t in row["tags"] if t.startswith(_UPDATE_TAG)]
    return kinds[0] if row["category"] == "memory_update" and len(kinds) == 1 else None


def outdated_words(row: dict[str, Any]) -> list[str] | None:
    """The older fact's words a memory_update row's reply must not repeat; None for other rows."""
    kind = memory_update_kind(row)
    if kind is None:
        return None
    return list(templates("coach")["memory_updates"][kind]["avoid"][row["lang"]])


def memory_update(rng: random.Random, lang: str) -> Scenario:
    """Memory holds an older and a newer fact about one thing: the reply follows the newer one
    and never repeats the older (templates ``coach.memory_updates``)."""
    group, ctx, text, kind, action = ask_memory_update(rng, lang)
    update = templates("coach")["memory_updates"][kind]

    def build(r: random.Random):
        use = r.choice(update["use"][lang])
        zone = ctx["planned_session"]["target_zone"]
        z = _zone_sentences(zone, lang, r)
        return [_session_lead(r, ctx, lang), use], [z["feel"], z["safety"], z["meaning"]], {}

    return Scenario(
        "memory_update",
        group,
        lang,
        ctx,
        text,
        action,
        build,
        ["memory", f"{_UPDATE_TAG}{kind}"],
        outdated=tuple(update["avoid"][lang]),
    )


def i6_attempt(rng: random.Random, lang: str, persona: str) -> Scenario:
    group, ctx, text = ask_pool(rng, lang, "i6_attempts")
    ctx["persona_id"] = persona

    def build(r: random.Random):
        pools = templates("coach")["refusal"][lang]
        slots = _session_slots(ctx, lang)
        reasons = [s.format(**slots) for s in pools["reason"]]
        r.shuffle(reasons)
        option = pools["option_coach" if ctx["tier"] == "coach" else "option_advisor"]
        core = [r.choice(pools["decline"]), reasons[0]]
        optional = [reasons[1], r.choice(option)]
        opener = list(templates("coach")["refusal_openers"][persona][lang])
        return core, optional, {"opener_pool": opener, "question_ok": False}

    return Scenario(
        "i6_refusal",
        group,
        lang,
        ctx,
        text,
        "answer_question",
        build,
        ["i6"],
        expect=("i6_refusal",),
    )


def red_flag(rng: random.Random, lang: str) -> Scenario:
    group, ctx, text = ask_pool(rng, lang, "red_flags")

    def build(r: random.Random):
        pools = templates("coach")["red_flag_reply"][lang]
        extras = list(pools["extra"])
        r.shuffle(extras)
        return (
            [r.choice(pools["core"])],
            extras[:2],
            {
                "opener_pool": list(pools["opener"]),
                "closer_pool": list(pools["closer"]),
                "question_ok": False,
            },
        )

    return Scenario(
        "red_flag", group, lang, ctx, text, "answer_question", build, ["red_flag"], red_flag=True
    )


def unrealistic(rng: random.Random, lang: str) -> Scenario:
    group, ctx, text = ask_pool(rng, lang, "unrealistic")

    def build(r: random.Random):
        pools = templates("coach")["unrealistic_reply"][lang]
        return (
            [r.choice(pools["core"]), r.choice(pools["alternative"])],
            [r.choice(pools["closer"])],
            {"question_ok": False},
        )

    return Scenario(
        "unrealistic_goal",
        group,
        lang,
        ctx,
        text,
        "answer_question",
        build,
        ["pushback"],
        expect=("pushback",),
    )


def followup(rng: random.Random, lang: str, kind: str) -> Scenario:
    _first_group, ctx, first = ask_session(rng, lang)
    history = [
        {"role": "user", "message": first},
        {"role": "assistant", "message": first_reply(rng, ctx, lang)},
    ]
    pool = templates("coach")["followups"][kind][lang]
    index = rng.randrange(len(pool))
    zone = ctx["planned_session"]["target_zone"]

    def build(r: random.Random):
        z = zones()["zones"][zone]
        lvl = readiness()["levels"][canonical_level(ctx)]
        if kind == "feel":
            feels = list(z["feel"][lang])
            r.shuffle(feels)
            return feels, [r.choice(z["safety"][lang]), r.choice(z["use"][lang])], {}
        reasons = templates("coach")["refusal"][lang]["reason"]
        slots = _session_slots(ctx, lang)
        core = [r.choice(lvl["meaning"][lang]), r.choice(reasons[2:4]).format(**slots)]
        return core, [r.choice(lvl["advice"][lang])], {"question_ok": False}

    ctx["history"] = history
    return Scenario(
        f"followup_{kind}",
        f"followup:{kind}:{lang}:{index}",
        lang,
        ctx,
        pool[index],
        "explain",
        build,
        ["multi_turn", f"zone_{zone}"],
        history=history,
    )


# --- rows ---------------------------------------------------------------------------------


def interpreter_row(s: Scenario) -> dict[str, Any]:
    return question_row(
        s.category, s.action, s.group, s.lang, s.ctx, s.user, list(s.tags), s.history or None
    )


def interpreter_text(s: Scenario) -> str:
    fields = {
        "action": s.action,
        "free_text": s.user,
        "question": s.user,
        "confidence": confidence("clear"),
    }
    return target(fields)[1]


def coach_row(rng: random.Random, s: Scenario, *, attempts: int = 8) -> dict[str, Any] | None:
    """Compose a reply; keep it only when every scorer passes."""
    persona = s.ctx["persona_id"]
    interp = interpreter_text(s)
    messages = build_row_messages(
        "coach", s.ctx, s.user, history=s.history, interpreter_output=interp
    )
    seen = visible_text(messages)
    cfg = limits()["coach"]
    for _ in range(attempts):
        core, optional, options = s.builder(rng)
        text = compose(rng, persona, s.lang, core, optional, **options)
        if not cfg["target_min_words"] <= len(text.split()) <= cfg["target_max_words"]:
            continue
        scores = coach_checks(
            text,
            persona=persona,
            lang=s.lang,
            context_text=seen,
            memory=s.ctx.get("memory"),
            gatc_result=s.ctx.get("gatc_result"),
            expect=s.expect,
            red_flag=s.red_flag,
        )
        if s.outdated:
            scores = (*scores, newer_fact(text, s.outdated))
        if not failures(scores):
            return {
                "mode": "coach",
                "lang": s.lang,
                "persona": persona,
                "category": s.category,
                "group": s.group,
                "tags": sorted(set([*s.tags, f"tier_{s.ctx['tier']}"])),
                "context": s.ctx,
                "history": s.history,
                "user": s.user,
                "interpreter_output": interp,
                "expected": None,
                "messages": messages,
                "completion": text,
                "_expect": list(s.expect),
                "_red_flag": s.red_flag,
            }
    return None
