from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from josi.contracts import is_valid_request
from josi.postprocess import (
    SAFE_REPLY,
    detect_red_flags,
    durations,
    extract_minutes,
    normalize_sport,
    postprocess,
)
from tests.unit.core._contexts import make_ctx

NO_SPORT = make_ctx(profile=None, session=False)

MINUTES = [
    ("about an hour", 60),
    ("45ish min", 45),
    ("1h15", 75),
    ("1:15", 75),
    ("two hours", 120),
    ("90 minutes", 90),
    ("anderhalf uur", 90),
    ("een half uur", 30),
    ("een uur", 60),
    ("drie kwartier", 45),
    ("twintig minuten", 20),
    ("Give me a 45-minute run", 45),
    ("an hour and a half", 90),
    ("1,5 uur", 90),
    ("2.5 hours", 150),
    ("forty-five minutes", 45),
    ("vijfenveertig minuten", 45),
    ("1 uur en 15 minuten", 75),
    ("45 tot 60 minuten", 45),
    ("I have 2h", 120),
    ("1.5h ride", 90),
    ("een uurtje fietsen", 60),
    ("train at 7:30", None),
    ("om 7 uur", None),
    ("7 uur 's ochtends", None),
    ("4 x 5min Z4", None),
    ("400m repeats", None),
    ("I want a workout", None),
    ("", None),
]


@pytest.mark.parametrize(("text", "minutes"), MINUTES, ids=[m[0] or "empty" for m in MINUTES])
def test_extract_minutes(text: str, minutes: int | None) -> None:
    assert extract_minutes(text) == minutes


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("60 min is too short for me. id like at least 1h20", [60, 80]),
        ("90 min instead of 60 min", [90, 60]),
        ("ran 2 hours yesterday, 45 min today", [45]),  # a past session is not asked for
        ("4 x 5 min at threshold", []),  # interval reps are not a session's length
        ("no minutes here", []),
    ],
)
def test_durations_are_every_duration_in_order_and_the_first_is_extract_minutes(
    text: str, found: list[int]
) -> None:
    assert durations(text) == found
    assert extract_minutes(text) == (found[0] if found else None)


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_extract_minutes_never_raises(text: str) -> None:
    value = extract_minutes(text)
    assert value is None or (isinstance(value, int) and value > 0)


@pytest.mark.parametrize(
    ("text", "sport"),
    [
        ("running", "run"),
        ("cycling", "bike"),
        ("fietsen", "bike"),
        ("wielrennen", "bike"),
        ("a strength session", "strength"),
        ("krachttraining", "strength"),
        ("schaatsen", "skate"),
        ("skate skiing", "ski"),
        ("langlaufen", "ski"),
        ("zwemmen", "other"),
        ("a workout", None),
        (None, None),
    ],
)
def test_normalize_sport(text: str | None, sport: str | None) -> None:
    assert normalize_sport(text) == sport


@pytest.mark.parametrize(
    ("text", "flags"),
    [
        ("Chest pain during my run", ("chest_pain",)),
        ("Ik had pijn op de borst", ("chest_pain",)),
        ("I passed out after the intervals", ("fainting",)),
        ("Ik voelde me duizelig en had hartkloppingen", ("palpitations", "dizziness")),
        ("shortness of breath at rest", ("breathless_at_rest",)),
        ("kortademig in rust", ("breathless_at_rest",)),
        ("no chest pain, legs are just heavy", ()),
        ("geen duizeligheid", ()),
        ("out of breath after the hill", ()),
        ("a faint ache in my calf", ()),
    ],
)
def test_red_flags(text: str, flags: tuple[str, ...]) -> None:
    assert detect_red_flags(text) == flags


def test_red_flag_sets_safe_reply_in_the_athletes_language() -> None:
    en = postprocess(
        {"action": "answer_question", "free_text": "x", "question": "x"},
        user_message="I fainted, what now?",
        ctx=make_ctx(),
    )
    nl = postprocess(
        {"action": "answer_question", "free_text": "x", "question": "x"},
        user_message="Ik ben flauwgevallen, wat nu?",
        ctx=make_ctx(),
    )
    assert en.safe_reply == SAFE_REPLY["en"] and nl.safe_reply == SAFE_REPLY["nl"]
    assert "112" in nl.safe_reply and "doctor" in en.safe_reply


def test_workout_without_any_sport_becomes_clarify() -> None:
    out = postprocess(
        {"action": "create_workout", "free_text": "I want a workout", "sport": "run"},
        user_message="I want a workout",
        ctx=NO_SPORT,
    )
    assert out.request["action"] == "clarify"
    assert out.request["missing"] == ["sport"]
    assert out.request["clarify_message"].endswith("?")
    assert any("clarify" in c for c in out.changes)


def test_dutch_clarify_message() -> None:
    out = postprocess(
        {"action": "create_workout", "free_text": "x", "sport": "bike"},
        user_message="Ik wil vandaag trainen",
        ctx=NO_SPORT,
    )
    assert out.request["clarify_message"] == "Welke sport wil je vandaag trainen?"


def test_message_sport_overrides_profile_and_model() -> None:
    out = postprocess(
        {"action": "create_workout", "free_text": "x", "sport": "run"},
        user_message="Can I do a strength session instead?",
        ctx=make_ctx(),
    )
    assert out.request["sport"] == "strength"


def test_profile_sport_is_enough_for_a_workout() -> None:
    out = postprocess(
        {"action": "create_workout", "free_text": "Give me a workout", "sport": "run"},
        user_message="Give me a workout",
        ctx=make_ctx(),
    )
    assert out.request == {
        "action": "create_workout",
        "free_text": "Give me a workout",
        "sport": "run",
    }
    assert out.changes == ()


def test_questions_keep_the_models_fields() -> None:
    out = postprocess(
        {"action": "explain", "free_text": "Why a run?", "question": "Why a run?"},
        user_message="Why a run?",
        ctx=make_ctx(),
    )
    assert "sport" not in out.request


_actions = st.sampled_from(
    [
        {"action": "create_workout", "free_text": "x", "sport": "run"},
        {"action": "replan", "free_text": "x", "replan_type": "skip_today"},
        {"action": "explain", "free_text": "x", "question": "x"},
        {"action": "answer_question", "free_text": "x", "question": "x"},
        {
            "action": "clarify",
            "free_text": "x",
            "missing": ["intent"],
            "clarify_message": "What do you mean?",
        },
    ]
)
_words = st.lists(
    st.sampled_from(
        [
            "run",
            "fietsen",
            "an hour",
            "45 min",
            "chest pain",
            "duizelig",
            "ik",
            "wil",
            "I",
            "want",
            "a",
            "workout",
            "drie kwartier",
            "1:15",
            "no",
        ]
    ),
    max_size=8,
).map(" ".join)


@settings(max_examples=200, deadline=None)
@given(_actions, st.one_of(_words, st.text(max_size=80)), st.sampled_from([make_ctx(), NO_SPORT]))
def test_output_is_always_a_valid_request(request: dict, message: str, ctx: dict) -> None:
    out = postprocess(request, user_message=message, ctx=ctx)
    assert is_valid_request(out.request)
    assert (out.safe_reply is not None) == bool(out.red_flags)
    if out.request["action"] == "create_workout":
        assert out.request["sport"]
