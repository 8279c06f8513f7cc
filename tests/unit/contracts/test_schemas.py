"""The shared JSON Schemas: well-formed, per-action rules live in the schema."""

from __future__ import annotations

import json

import pytest
from jsonschema import Draft202012Validator

from josi._resources import resource_dir
from josi.contracts import ACTIONS, context_errors, load_schema, load_tool_dispatch, request_errors
from tests.helpers import load_jsonl_fixture

REQUEST_CASES = load_jsonl_fixture("contracts/gatc_requests.jsonl")


@pytest.mark.parametrize("name", ["gatc_request.schema.json", "chat_context.schema.json"])
def test_schema_is_valid_draft_2020_12(name):
    schema = load_schema(name)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(schema)


@pytest.mark.parametrize("case", REQUEST_CASES, ids=[c["id"] for c in REQUEST_CASES])
def test_request_cases(case):
    errors = request_errors(case["request"])
    if case["valid"]:
        assert errors == []
    else:
        assert errors, "expected the schema to reject this request"
        assert any(case["error"] in e for e in errors), errors


@pytest.mark.parametrize("case", [c for c in REQUEST_CASES], ids=[c["id"] for c in REQUEST_CASES])
def test_full_oneof_schema_agrees_with_branch_validation(case):
    # The app validates against the whole oneOf document; our readable
    # per-branch errors must never disagree with it.
    full = Draft202012Validator(load_schema("gatc_request.schema.json"))
    assert full.is_valid(case["request"]) == case["valid"]


def test_every_action_has_exactly_one_branch():
    branches = load_schema("gatc_request.schema.json")["oneOf"]
    assert sorted(b["properties"]["action"]["const"] for b in branches) == sorted(ACTIONS)
    for branch in branches:
        assert branch["additionalProperties"] is False
        assert branch["required"][:2] == ["action", "free_text"]


def test_dispatch_table_covers_actions_and_tiers():
    table = load_tool_dispatch()
    assert table["tiers"]["monitor"]["chat"] is False
    assert table["actions"]["replan"]["tiers"] == ["coach"]
    assert {a for a, spec in table["actions"].items() if spec["needs_coach"]} == {
        "explain",
        "answer_question",
    }
    assert table["readiness"]["zone_caps"] == {
        "Green": "Z6",
        "Yellow": "Z4",
        "Orange": "Z3",
        "Red": "Z2",
    }
    assert table["readiness"]["aliases"]["Amber"] == "Yellow"
    for message in table["messages"].values():
        assert set(message) == {"en", "nl"}


def test_tool_dispatch_is_plain_json():
    path = resource_dir("schemas") / "tool_dispatch.json"
    assert json.loads(path.read_text(encoding="utf-8"))["version"] == 1


GUIDE_CONTEXT = {
    "athlete_id": "a1",
    "tier": "advisor",
    "mode": "advisor",
    "persona_id": "balanced",
    "today": "2026-02-20",
    "readiness": {"state": "Recovered", "level": "Green", "confidence": 0.8, "data_tier": "Good"},
    "has_session_context": True,
    "planned_session": {
        "intent": "Z2",
        "target_zone": "Z2",
        "target_duration_min": 60,
        "structure_label": "Continuous Z2 60min",
        "phase": "base",
        "meso_day": 3,
    },
    "history": [],
    "profile_summary": {"sport": "running", "level": "intermediate"},
}


def test_guide_context_is_valid():
    assert context_errors(GUIDE_CONTEXT) == []


@pytest.mark.parametrize(
    "change, needle",
    [
        ({"tier": "premium"}, "tier"),
        ({"persona_id": "drill_sergeant"}, "persona_id"),
        ({"readiness": {"state": "Fine", "level": "Green"}}, "state"),
        ({"has_session_context": True, "planned_session": None}, "planned_session"),
        ({"today": "20-02-2026"}, "today"),
        ({"unknown": 1}, "unknown"),
    ],
    ids=["tier", "persona", "readiness-state", "session-required", "date", "closed"],
)
def test_invalid_contexts_are_rejected(change, needle):
    ctx = {**GUIDE_CONTEXT, **change}
    if ctx.get("planned_session") is None:
        ctx.pop("planned_session")
    errors = context_errors(ctx)
    assert errors and any(needle in e for e in errors), errors


def test_amber_is_accepted_in_context():
    ctx = {**GUIDE_CONTEXT, "readiness": {"state": "Accumulated", "level": "Amber"}}
    assert context_errors(ctx) == []
