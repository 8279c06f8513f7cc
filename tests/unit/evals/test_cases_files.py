"""The case files are data: every line must be a valid, unique, well-formed case."""

from __future__ import annotations

import pytest

from josi._errors import ContractError
from josi.evals import LAYERS, case_problems, load_cases, parse_case


@pytest.mark.parametrize("layer", LAYERS)
def test_every_case_is_contract_valid(layer):
    problems = {c.id: case_problems(c) for c in load_cases(layer)}
    assert {k: v for k, v in problems.items() if v} == {}


def test_ids_are_unique_across_all_layers():
    ids = [c.id for layer in LAYERS for c in load_cases(layer)]
    assert len(ids) == len(set(ids))


def test_counts_meet_the_plan():
    golden = load_cases("golden")
    assert len(golden) >= 200
    assert len([c for c in golden if c.history]) >= 20
    contract = load_cases("contract")
    i6 = [c for c in contract if "i6" in c.tags]
    assert len(i6) >= 30
    assert (
        len([c for c in i6 if c.lang == "en"]) >= 10
        and len([c for c in i6 if c.lang == "nl"]) >= 10
    )
    assert len([c for c in contract if "pushback" in c.tags]) == 5


@pytest.mark.parametrize("layer", LAYERS)
def test_both_languages_in_every_layer(layer):
    assert {c.lang for c in load_cases(layer)} == {"en", "nl"}


@pytest.mark.parametrize(
    "row, message",
    [
        (
            {"id": "x", "tags": ["en"], "message": "hi", "context": {"preset": "nope"}},
            "unknown context preset",
        ),
        ({"id": "x", "tags": ["fr"], "message": "hi", "context": {}}, "exactly one language"),
        ({"id": "x", "tags": ["en"], "message": "", "context": {}}, "message must be"),
        (
            {
                "id": "x",
                "tags": ["en"],
                "message": "hi",
                "context": {},
                "expect": {"reply": {"warm": 1}},
            },
            "unknown reply keys",
        ),
        (
            {"id": "x", "tags": ["en"], "message": "hi", "context": {}, "surprise": 1},
            "unknown keys",
        ),
    ],
)
def test_bad_case_lines_are_rejected(row, message):
    with pytest.raises(ContractError, match=message):
        parse_case(row, "golden", where="t.jsonl:1")


def test_preset_overrides_merge_and_null_removes():
    case = parse_case(
        {
            "id": "x",
            "tags": ["en"],
            "message": "hi",
            "context": {
                "preset": "run_green_coach",
                "persona_id": "direct",
                "planned_session": None,
                "has_session_context": False,
                "readiness": {"level": "Red"},
            },
        },
        "quality",
    )
    assert case.persona == "direct"
    assert "planned_session" not in case.context
    assert case.context["readiness"] == {
        "state": "Recovered",
        "level": "Red",
        "confidence": 0.86,
        "data_tier": "Good",
    }
    assert case_problems(case) == []
