"""Coach intents that code answers (plan changes, unrealistic goals) and their fixed replies."""

from __future__ import annotations

from pathlib import Path

import pytest

from josi._errors import ConfigError
from josi._io import read_jsonl
from josi.contracts import load_tool_dispatch
from josi.governor import count_questions
from josi.postprocess import INTENTS, detect_coach_intent
from josi.routing import coach_contract_reply
from josi.scorers import i6_refusal, pushback

CASES = read_jsonl(Path(__file__).with_name("coach_intent_cases.jsonl"))


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_message_intent(case: dict) -> None:
    hit = detect_coach_intent(case["text"])
    assert (hit.intent if hit else None) == case["intent"], hit


def test_case_table_covers_both_languages_and_negatives() -> None:
    for lang in ("en", "nl"):
        for intent in (*INTENTS, None):
            assert sum(c["lang"] == lang and c["intent"] == intent for c in CASES) >= 4, (
                lang,
                intent,
            )


@pytest.mark.parametrize("text", ["", "   ", None, 42])
def test_no_text_has_no_intent(text: object) -> None:
    assert detect_coach_intent(text) is None  # type: ignore[arg-type]


def test_a_negation_cancels_a_plan_change() -> None:
    assert detect_coach_intent("swap the easy run for intervals") is not None
    assert detect_coach_intent("no need to swap the easy run for intervals") is None


def test_an_unrealistic_goal_outranks_a_plan_change() -> None:
    hit = detect_coach_intent("double my volume this week please")
    assert hit is not None and hit.intent == "unrealistic_goal"


@pytest.mark.parametrize("tier", ["advisor", "coach"])
@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("en", "Can you make today's ride harder?"),
        ("nl", "Kun je de training van vandaag zwaarder maken?"),
    ],
)
def test_the_fixed_plan_change_reply_is_an_i6_refusal(tier: str, lang: str, text: str) -> None:
    reply = coach_contract_reply(text, {"tier": tier}, lang)
    assert reply is not None and reply.intent == "plan_change"
    assert reply.text == load_tool_dispatch()["messages"][f"plan_change_declined_{tier}"][lang]
    assert i6_refusal(reply.text).passed, i6_refusal(reply.text).reason
    assert count_questions(reply.text) == 0


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("en", "I need to lose 12 kg in six weeks for my race"),
        ("nl", "ik wil in vier weken 9 kilo afvallen voor de wedstrijd"),
    ],
)
def test_the_fixed_unrealistic_goal_reply_pushes_back(lang: str, text: str) -> None:
    reply = coach_contract_reply(text, {"tier": "coach"}, lang)
    assert reply is not None and reply.intent == "unrealistic_goal"
    assert pushback(reply.text).passed, pushback(reply.text).reason
    assert not any(ch.isdigit() for ch in reply.text), "a fixed reply must not carry numbers"


def test_an_ordinary_question_is_left_to_the_model() -> None:
    assert coach_contract_reply("Why is today an easy day?", {"tier": "coach"}, "en") is None


def test_a_lexicon_with_an_unknown_macro_is_a_clear_error() -> None:
    from josi.postprocess._rules import Patterns

    with pytest.raises(ConfigError, match=r"coach_intents\.toml: unknown macro <NOPE>"):
        Patterns("coach_intents.toml", {}).compile("swap <NOPE>", "plan_change #1.match")


def test_a_rule_needing_the_message_looks_beyond_its_sentence() -> None:
    hit = detect_coach_intent("Can I run a marathon in 4 weeks? I have never run more than 5 km.")
    assert hit is not None and hit.rule == "long_race_from_small_base"
    assert detect_coach_intent("Can I run a marathon in 4 weeks? I ran one last spring.") is None


@pytest.mark.parametrize(
    "key", ["plan_change_declined_coach", "plan_change_declined_advisor", "unrealistic_goal"]
)
@pytest.mark.parametrize("lang", ["en", "nl"])
def test_every_fixed_reply_is_warm_enough_for_every_persona(key: str, lang: str) -> None:
    from josi.knowledge import personas
    from josi.scorers import brevity, warmth

    text = load_tool_dispatch()["messages"][key][lang]
    for persona in personas()["order"]:
        assert warmth(text, persona).passed, (persona, warmth(text, persona).reason)
    assert brevity(text).passed


@pytest.mark.parametrize(
    ("text", "planned", "intent"),
    [
        ("make it 75 minutes", 60, "plan_change"),
        ("make it 75 minutes", 90, None),  # shorter than planned: the engine's
        ("make it 75 minutes", None, None),  # nothing planned to be longer than
        ("60 min is too short for me. id like at least 1h20", 60, "plan_change"),
        ("maak er 80 min van", 60, "plan_change"),
        ("kan die loop vandaag naar anderhalf uur?", 60, "plan_change"),
        ("maak er maar een half uurtje van vandaag", 60, None),
        ("I have 90 minutes today, give me a run", 60, None),  # time offered, not asked
        ("zet je het om naar 20u?", 60, None),  # a clock time, not a session
    ],
)
def test_a_session_asked_longer_than_planned_is_a_plan_change(
    text: str, planned: int | None, intent: str | None
) -> None:
    hit = detect_coach_intent(text, planned=planned)
    assert (hit.intent if hit else None) == intent, hit
    if intent:
        assert hit.rule == "longer_than_planned"


def test_the_coach_step_reads_the_planned_minutes_from_the_context() -> None:
    ctx = {"tier": "advisor", "planned_session": {"target_duration_min": 60}}
    reply = coach_contract_reply("Could we make it 75 minutes today?", ctx, "en")
    assert reply is not None and reply.rule == "longer_than_planned"
    ctx["planned_session"]["target_duration_min"] = 90
    assert coach_contract_reply("Could we make it 75 minutes today?", ctx, "en") is None


def test_a_longer_than_planned_key_that_is_not_a_boolean_is_a_config_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from josi.postprocess import _intents

    real = _intents._read

    def broken(file: str, kinds: tuple[str, ...], learned_key: str):
        lex = real(file, kinds, learned_key)
        rule, table = lex.rules["plan_change"][0]
        rules = dict(lex.rules)
        rules["plan_change"] = ((rule, {**table, "longer_than_planned": "yes"}),)
        return _intents._Lexicon(rules, lex.negation, lex.mask, lex.learned)

    monkeypatch.setattr(_intents, "_read", broken)
    _intents._lexicon.cache_clear()
    try:
        with pytest.raises(ConfigError, match="longer_than_planned must be a boolean"):
            _intents._lexicon()
    finally:
        _intents._lexicon.cache_clear()
