from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from josi._errors import ContractError
from josi.contracts import load_tool_dispatch
from josi.postprocess import SAFE_REPLY
from josi.routing import cap_zone, normalize_level, route, zone_cap
from tests.unit.core._contexts import make_ctx

ORDER = load_tool_dispatch()["zone_order"]


@pytest.mark.parametrize(
    ("level", "cap"),
    [
        ("Green", "Z6"),
        ("Yellow", "Z4"),
        ("Amber", "Z4"),
        ("amber", "Z4"),
        ("Orange", "Z3"),
        ("Red", "Z2"),
    ],
)
def test_zone_caps(level: str, cap: str) -> None:
    assert zone_cap(level) == cap


def test_unknown_level_or_zone_is_an_error() -> None:
    with pytest.raises(ContractError):
        normalize_level("Purple")
    with pytest.raises(ContractError):
        cap_zone("Z9", "Green")


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(ORDER), st.sampled_from(["Green", "Yellow", "Amber", "Orange", "Red"]))
def test_cap_zone_never_raises_the_zone_or_exceeds_the_cap(zone: str, level: str) -> None:
    capped = cap_zone(zone, level)
    assert ORDER.index(capped) <= ORDER.index(zone)
    assert ORDER.index(capped) <= ORDER.index(zone_cap(level))


def test_unknown_tier_and_action_are_errors() -> None:
    with pytest.raises(ContractError):
        route({"action": "explain", "free_text": "x", "question": "x"}, make_ctx(tier="gold"))
    with pytest.raises(ContractError):
        route({"action": "drop_table", "free_text": "x"}, make_ctx())


_requests = st.fixed_dictionaries(
    {
        "action": st.sampled_from(
            ["create_workout", "replan", "explain", "answer_question", "clarify"]
        ),
        "free_text": st.sampled_from(["Run please", "Mag ik overslaan?", "Why?"]),
    },
    optional={
        "confidence": st.floats(min_value=0, max_value=1),
        "clarify_message": st.just("Which sport?"),
    },
)


@settings(max_examples=300, deadline=None)
@given(
    _requests,
    st.sampled_from(["monitor", "advisor", "coach"]),
    st.sampled_from(["Green", "Yellow", "Amber", "Orange", "Red"]),
    st.lists(st.sampled_from(["chest_pain", "dizziness"]), max_size=2),
)
def test_gates_cannot_be_bypassed(request: dict, tier: str, level: str, flags: list[str]) -> None:
    table = load_tool_dispatch()
    decision = route(request, make_ctx(tier=tier, level=level), red_flags=tuple(flags))
    executes = decision.engine_call is not None or decision.needs_coach
    if flags:
        assert decision.reply in SAFE_REPLY.values() and not executes
        return
    if tier == "monitor":
        assert not executes and not decision.allowed
        return
    confidence = request.get("confidence")
    if confidence is not None and confidence < 0.5 and request["action"] != "clarify":
        assert decision.action == "clarify" and not executes
        return
    if executes:
        assert tier in table["actions"][decision.action]["tiers"]
        assert decision.confirm == (confidence is not None and confidence <= 0.8)
    if decision.action == "replan" and executes:
        assert decision.zone_cap is None  # plan engine applies its own caps
    else:
        assert decision.zone_cap == zone_cap(level)
    if decision.action == "clarify":
        assert decision.reply


def test_needs_coach_only_for_explain_and_answer_question() -> None:
    ctx = make_ctx(tier="coach")
    needs = {
        action: route(
            {"action": action, "free_text": "x", "question": "x", "clarify_message": "Which?"}, ctx
        ).needs_coach
        for action in ("create_workout", "replan", "explain", "answer_question", "clarify")
    }
    assert needs == {
        "create_workout": False,
        "replan": False,
        "explain": True,
        "answer_question": True,
        "clarify": False,
    }


def test_denial_message_follows_the_athletes_language() -> None:
    decision = route(
        {"action": "replan", "free_text": "Kan ik vandaag overslaan?", "replan_type": "skip_today"},
        make_ctx(),
    )
    assert not decision.allowed and decision.lang == "nl"
    assert decision.reply == load_tool_dispatch()["messages"]["replan_denied"]["nl"]


def test_non_numeric_confidence_is_an_error() -> None:
    with pytest.raises(ContractError):
        route(
            {"action": "explain", "free_text": "x", "question": "x", "confidence": "high"},
            make_ctx(),
        )
