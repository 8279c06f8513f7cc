from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema

from josi.contracts import dumps_request, is_valid_request, load_schema
from josi.parsing import extract_first_json_object, parse_request, strip_thinking

MESSAGE = "Give me a 45-minute run"
VALID = {"action": "create_workout", "free_text": MESSAGE, "sport": "run", "time_available_min": 45}


def test_guide_examples_parse_to_canonical_requests() -> None:
    raw = (
        '{"action": "explain", "question": "What\'s my workout today?", '
        '"free_text": "What\'s my workout today?"}'
    )
    result = parse_request(raw, user_message="What's my workout today?")
    assert result.ok and not result.fallback
    assert list(result.request) == ["action", "free_text", "question"]


def test_fallback_is_answer_question_with_the_message() -> None:
    result = parse_request("nonsense", user_message="Wat is Zone 2?")
    assert result.fallback and not result.ok
    assert result.request == {
        "action": "answer_question",
        "free_text": "Wat is Zone 2?",
        "question": "Wat is Zone 2?",
    }
    assert result.raw == "nonsense"


def test_fallback_for_non_text_output() -> None:
    result = parse_request(None, user_message="Hi")  # type: ignore[arg-type]
    assert result.fallback and "NoneType" in result.reason


def test_fallback_of_overlong_message_is_still_valid() -> None:
    result = parse_request("", user_message="x" * 5000)
    assert is_valid_request(result.request)


def test_reason_distinguishes_repair_from_clean() -> None:
    clean = parse_request(json.dumps(VALID), user_message=MESSAGE)
    cut = parse_request(json.dumps(VALID)[:-1], user_message=MESSAGE)
    assert clean.reason == "ok"
    assert cut.ok and cut.reason.startswith("repaired")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("<think>a</think>b", "b"),
        ('x <think>never closed {"action": 1}', "x"),
        ("prefix</think>answer", "answer"),
        ("<think>a</think><think>b", ""),
        ('<think>{"x": 1}</think>{"q": "</think><THINK>"}<think>z', '{"q": "</think><THINK>"}'),
        ('Sure: {"a": "say \\"<think>\\" now"}', 'Sure: {"a": "say \\"<think>\\" now"}'),
        ('"quoted" </think>{"a": 1}', '{"a": 1}'),
    ],
    ids=[
        "closed",
        "unclosed",
        "stray-close",
        "closed-then-unclosed",
        "tags-in-a-json-string-are-words",
        "escaped-quote-in-a-json-string",
        "quotes-outside-an-object",
    ],
)
def test_strip_thinking(text: str, expected: str) -> None:
    assert strip_thinking(text) == expected


def test_a_message_holding_think_tags_still_parses() -> None:
    # free_text copies the athlete's message; tags in it are words, not reasoning.
    request = {"action": "answer_question", "free_text": "</think> hi", "question": "<THINK>"}
    result = parse_request(json.dumps(request), user_message="</think> hi")
    assert result.ok and result.request == request


def test_extract_skips_invalid_candidates() -> None:
    assert extract_first_json_object('{bad} {"a": "}"}') == '{"a": "}"}'


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_never_raises_on_any_text(raw: str) -> None:
    result = parse_request(raw, user_message="Hoe laat?")
    assert is_valid_request(result.request)
    assert result.ok != result.fallback


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet='{}[]":,\\ abc<>/think0123456789'))
def test_never_raises_on_json_like_noise(raw: str) -> None:
    result = parse_request(raw, user_message="x")
    assert is_valid_request(result.request)
    extract_first_json_object(raw)


_requests = from_schema(load_schema("gatc_request.schema.json")).filter(
    lambda r: "\x00" not in json.dumps(r)
)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_requests, st.sampled_from(["", "Sure: ", "<think>hm</think>", "```json\n"]))
def test_every_valid_request_round_trips(request: dict, prefix: str) -> None:
    text = prefix + dumps_request(request)
    result = parse_request(text, user_message="unused")
    assert result.ok
    assert dumps_request(result.request) == dumps_request(request)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_requests, st.data())
def test_truncated_output_is_valid_or_falls_back(request: dict, data: st.DataObject) -> None:
    text = dumps_request(request)
    cut = data.draw(st.integers(min_value=0, max_value=len(text)))
    result = parse_request(text[:cut], user_message="unused message")
    assert is_valid_request(result.request)
    if result.ok:
        assert result.request["action"] == request["action"]
