from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

import josi.scorers as scorers
from josi.scorers import Score, coach_checks, failures, request_fields

CASES_DIR = Path(__file__).parent / "cases"
CASES = [
    json.loads(line)
    for path in sorted(CASES_DIR.glob("*.jsonl"))
    for line in path.read_text(encoding="utf-8").splitlines()
    if line.strip()
]
SCORERS = (
    "warmth",
    "brevity",
    "forbidden_words",
    "jargon",
    "repetition",
    "governor_compliance",
    "language_match",
    "grounded_numbers",
    "grounding_use",
    "i6_refusal",
    "pushback",
    "deflection",
    "red_flag_care",
    "memory_use",
    "newer_fact",
    "request_match",
    "invented_facts",
)


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_case(case: dict) -> None:
    score = getattr(scorers, case["scorer"])(**case["args"])
    assert isinstance(score, Score)
    assert score.name == case["scorer"]
    assert score.passed is case["passed"], score.reason


@pytest.mark.parametrize("name", SCORERS)
def test_every_scorer_has_pass_and_fail_cases(name: str) -> None:
    outcomes = {c["passed"] for c in CASES if c["scorer"] == name}
    assert outcomes == {True, False}


def test_case_ids_are_unique() -> None:
    ids = [c["id"] for c in CASES]
    assert len(ids) == len(set(ids))


def test_score_is_frozen() -> None:
    score = scorers.brevity("Short and sweet reply for today.")
    with pytest.raises(dataclasses.FrozenInstanceError):
        score.passed = False  # type: ignore[misc]


def test_findings_are_metadata_not_reason_text() -> None:
    grounded = scorers.grounded_numbers(
        "Run 45 minutes at 173 bpm, then five strides.", "45 minutes easy"
    )
    assert grounded.metadata == {"claimed": ("45", "173", "5"), "invented": ("5", "173")}
    memory = {"key_facts": [{"fact": "Prefers morning sessions"}]}
    text = "As you mentioned, mornings work, and mind that knee."
    used = scorers.memory_use(text, memory)
    assert not used.passed and used.metadata == {
        "robotic": ("as you mentioned",),
        "invented": ("knee",),
    }
    invented = scorers.invented_facts(text, memory)
    assert (invented.passed, invented.value, invented.metadata) == (
        False,
        1.0,
        {"invented": ("knee",)},
    )
    assert scorers.invented_facts(
        "Mornings work, mind that knee.", memory, context_text="old knee injury"
    ).passed


def test_a_binary_score_is_valued_one_or_zero() -> None:
    assert Score.binary("action", True, "got 'explain'") == Score(
        "action", 1.0, True, "got 'explain'"
    )
    assert Score.binary("newer_fact", False, found=("Utrecht",)).metadata == {"found": ("Utrecht",)}


def test_warmth_is_persona_aware() -> None:
    text = (
        "Research shows steady aerobic work drives adaptation, "
        "and the data suggests today fits that."
    )
    assert scorers.warmth(text, "technical").value > scorers.warmth(text, "balanced").value


def test_warmth_rejects_unknown_persona() -> None:
    from josi._errors import ContractError

    with pytest.raises(ContractError):
        scorers.warmth("hello", "drill_sergeant")


def test_brevity_bands_decrease_with_length() -> None:
    values = [scorers.brevity("word " * n).value for n in (20, 80, 110, 150, 200)]
    assert values == sorted(values, reverse=True)
    assert values[0] == 5 and values[-1] == 1


def test_request_fields_reports_each_field() -> None:
    fields = request_fields(
        {"action": "create_workout", "free_text": "x", "sport": "bike"},
        {"action": "create_workout", "free_text": "x", "sport": "run", "time_available_min": 30},
    )
    assert fields == {
        "action": True,
        "free_text": True,
        "sport": False,
        "time_available_min": False,
    }


GOOD = (
    "Good question. Today is 60 minutes of aerobic endurance work in Zone 2. "
    "It should feel comfortable and conversational. Enjoy the session."
)
CONTEXT = (
    "Why this session?\n\nCONTEXT:\n- Readiness: Green (Recovered)\n"
    '- Session: Z2 60min "Continuous Z2 60min"'
)


def test_coach_checks_all_pass_on_a_good_reply() -> None:
    scores = coach_checks(GOOD, persona="balanced", lang="en", context_text=CONTEXT)
    assert not failures(scores), failures(scores)
    assert {s.name for s in scores} >= {
        "warmth",
        "brevity",
        "grounded_numbers",
        "governor_compliance",
    }


@pytest.mark.parametrize(
    ("bad", "failing"),
    [
        (GOOD + " Hold 150 watts.", "grounded_numbers"),
        (GOOD + " The algorithm picked it.", "forbidden_words"),
        (GOOD + " It is a mesocycle.", "jargon"),
        (GOOD + " Why? When? Where?", "governor_compliance"),
        (
            "Vandaag is het rustig en ontspannen, geniet ervan en houd het gelijkmatig.",
            "language_match",
        ),
    ],
    ids=["invented-number", "internals", "jargon", "questions", "wrong-language"],
)
def test_coach_checks_flags_the_matching_scorer(bad: str, failing: str) -> None:
    names = {
        s.name
        for s in failures(coach_checks(bad, persona="balanced", lang="en", context_text=CONTEXT))
    }
    assert failing in names


def test_coach_checks_expectations() -> None:
    scores = coach_checks(
        GOOD, persona="balanced", lang="en", context_text=CONTEXT, expect=("i6_refusal",)
    )
    assert [s.name for s in failures(scores)] == ["i6_refusal"]
    red = coach_checks(GOOD, persona="balanced", lang="en", context_text=CONTEXT, red_flag=True)
    assert "red_flag_care" in {s.name for s in failures(red)}
    with pytest.raises(ValueError):
        coach_checks(
            GOOD, persona="balanced", lang="en", context_text=CONTEXT, expect=("telepathy",)
        )


def test_numbers_in_reads_digits_and_words() -> None:
    assert scorers.numbers_in("about an hour, 1,5 uur en vijf keer 45min") == [
        "1.5",
        "45",
        "60",
        "5",
    ]
