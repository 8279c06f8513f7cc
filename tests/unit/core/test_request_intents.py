"""Request intents that code reads from the message: a vague message, a replan in plain words,
a question about today or about training."""

from __future__ import annotations

from pathlib import Path

import pytest

from josi._errors import ConfigError
from josi._io import read_jsonl
from josi.postprocess import detect_coach_intent, detect_request_intent, postprocess
from josi.postprocess._intents import _request_lexicon

CASES = read_jsonl(Path(__file__).with_name("request_intent_cases.jsonl"))
REPLAN_TYPES = ("skip_today", "reschedule", "swap_days", "reduce_intensity", "goal_change")
CTX = {"tier": "coach", "language": "en", "profile_summary": {"sport": "running"}}


def _read(text: str) -> str | None:
    hit = detect_request_intent(text)
    if hit is None:
        return None
    return hit.replan_type or hit.intent


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_message_intent(case: dict) -> None:
    assert _read(case["text"]) == case["intent"], detect_request_intent(case["text"])


def test_case_table_covers_every_kind_in_both_languages_and_negatives() -> None:
    for lang in ("en", "nl"):
        kinds = ("vague", "unclear_replan", *REPLAN_TYPES, "illness", "travel")
        for kind in (*kinds, "explain", "question"):
            assert any(c["lang"] == lang and c["intent"] == kind for c in CASES), (lang, kind)
        assert sum(c["lang"] == lang and c["intent"] is None for c in CASES) >= 4, lang


def test_what_the_request_lexicon_asks_about_is_never_declined_as_a_plan_change() -> None:
    # One wording, two readers: a vague message or a change that does not say which gets a
    # clarify question, so the coach-intent lexicon, read first, must leave it alone (both read
    # the unnamed change from macros.toml's BARE_CHANGE).
    asked = [c["text"] for c in CASES if c["intent"] in ("vague", "unclear_replan")]
    assert len(asked) >= 30
    assert [text for text in asked if detect_coach_intent(text) is not None] == []


@pytest.mark.parametrize("text", ["", "   ", None, 42])
def test_no_text_has_no_intent(text: object) -> None:
    assert detect_request_intent(text) is None  # type: ignore[arg-type]


def test_every_replan_rule_names_a_replan_type_of_the_schema() -> None:
    from josi.contracts import load_schema

    known = set(load_schema("gatc_request.schema.json")["$defs"]["replan_type"]["enum"])
    lex = _request_lexicon()
    assert {table["replan_type"] for _rule, table in lex.rules["replan"]} <= known


def _served(action: str, text: str, **fields: object) -> dict:
    request = {"action": action, "free_text": text, "confidence": 0.9, **fields}
    return postprocess(request, user_message=text, ctx=CTX).request


def test_a_vague_message_becomes_a_clarify_question_for_the_intent() -> None:
    for action, fields in (("create_workout", {"sport": "run"}), ("explain", {"question": "hi"})):
        served = _served(action, "hi", **fields)
        assert served["action"] == "clarify" and served["missing"] == ["intent"]
        assert "confidence" not in served and served["clarify_message"].endswith("?")


def test_a_replan_written_as_a_workout_becomes_that_replan_without_a_confidence() -> None:
    served = _served("create_workout", "I'm sick, fever since this morning", sport="run")
    assert served == {
        "action": "replan",
        "free_text": "I'm sick, fever since this morning",
        "replan_type": "illness",
        "sport": "run",
    }


def test_a_replan_written_as_a_clarify_question_becomes_that_replan() -> None:
    served = _served(
        "clarify", "ik sla vandaag over", missing=["sport"], clarify_message="Welke sport?"
    )
    assert served["action"] == "replan" and served["replan_type"] == "skip_today"


def test_an_unnamed_change_becomes_a_clarify_question_for_the_replan_type() -> None:
    for action in ("replan", "create_workout"):
        served = _served(action, "can we adjust things this week?", replan_type="skip_today")
        assert served["action"] == "clarify" and served["missing"] == ["replan_type"]
        assert "skip" in served["clarify_message"] and "confidence" not in served


def test_named_minutes_keep_a_workout_while_travelling() -> None:
    text = "travelling next week, 20 min hotel workout please"
    assert _read(text) == "travel"
    assert _served("create_workout", text, sport="strength")["action"] == "create_workout"


def test_a_question_for_the_coach_keeps_its_action() -> None:
    text = "I have a cold, should I still train?"
    assert _read(text) == "illness"
    assert _served("answer_question", text, question=text)["action"] == "answer_question"


def test_a_plan_change_written_as_a_clarify_question_is_declined_not_replanned() -> None:
    text = "make today harder, swap it for intervals"
    served = _served("clarify", text, missing=["intent"], clarify_message="What do you mean?")
    assert served["action"] == "answer_question"


def test_a_question_about_today_written_as_a_workout_becomes_explain_without_a_confidence() -> None:
    text = "Kun je de training van vandaag uitleggen?"
    assert _served("create_workout", text, sport="run") == {
        "action": "explain",
        "free_text": text,
        "question": text,
    }


def test_a_general_question_written_as_an_engine_request_becomes_a_question() -> None:
    for action, fields in (
        ("create_workout", {"sport": "run"}),
        ("replan", {"replan_type": "skip_today"}),
        ("explain", {"question": "x"}),
    ):
        served = _served(action, "missed a session yesterday, is that a problem?", **fields)
        assert served["action"] == "answer_question", action


def test_a_question_keeps_a_replan_the_model_wrote_when_it_is_about_today() -> None:
    # Why today is easy is asked of the coach, but a replan the interpreter wrote for it is
    # left to the replan and coach lexicons, which read plan changes.
    text = "why is today so easy?"
    assert _read(text) == "explain"
    assert _served("replan", text, replan_type="reduce_intensity")["action"] == "replan"


def test_a_session_request_that_names_minutes_or_a_sport_keeps_its_workout() -> None:
    assert _served("create_workout", "30 min today, why z2?", sport="run")["action"] == (
        "create_workout"
    )
    assert _read("z2 run?") == "question"
    assert _served("create_workout", "z2 run?", sport="run")["action"] == "create_workout"


def test_a_question_naming_the_planned_sessions_minutes_is_about_that_session() -> None:
    text = "zit er vandaag nog een cooling down in, of is het gewoon 60 min z2?"
    planned = {"planned_session": {"intent": "Z2", "target_duration_min": 60}}
    served = postprocess(
        {"action": "create_workout", "free_text": text, "sport": "run", "time_available_min": 60},
        user_message=text,
        ctx={**CTX, **planned},
    ).request
    assert served["action"] == "explain"
    # Other minutes offer time for a new session: the workout stays.
    other = text.replace("60 min", "45 min")
    served = postprocess(
        {"action": "create_workout", "free_text": other, "sport": "run"},
        user_message=other,
        ctx={**CTX, **planned},
    ).request
    assert served["action"] == "create_workout" and served["time_available_min"] == 45


def test_a_general_question_naming_a_sport_is_still_a_question() -> None:
    text = "is it bad that I missed two runs last week?"
    assert _served("replan", text, replan_type="skip_today")["action"] == "answer_question"
    assert _served("create_workout", "z2 run?", sport="run")["action"] == "create_workout"


def test_a_lexicon_rule_with_an_unknown_replan_type_is_a_clear_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from josi.postprocess import _intents

    def broken(_package: str, _file: str) -> dict:
        return {
            "vague": [{"id": "v", "match": ["^hi$"]}],
            "replan": [{"id": "r", "match": ["skip"], "replan_type": "nap"}],
            "unclear_replan": [{"id": "u", "match": ["adjust things"]}],
            "explain": [{"id": "e", "match": ["why today"]}],
            "question": [{"id": "q", "match": ["what is z2"]}],
            "negation": {"before": "^never$", "after": "^never$", "clause_break": ","},
        }

    _intents._request_lexicon.cache_clear()
    monkeypatch.setattr(_intents, "read_lexicon", broken)
    try:
        with pytest.raises(ConfigError, match=r"request_intents\.toml: replan #1 \(r\) needs a"):
            _intents._request_lexicon()
    finally:
        monkeypatch.undo()
        _intents._request_lexicon.cache_clear()
