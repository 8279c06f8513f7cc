"""Canonical serialization and the committed grammar agree, by construction and by property."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_jsonschema import from_schema

from josi._errors import ContractError, GrammarError
from josi.contracts import (
    ACTIONS,
    CONFIDENCE_LEVELS,
    canonical_request,
    dumps_request,
    grammar_text,
    key_order,
    load_schema,
    request_errors,
)
from josi.contracts._gbnf import GbnfMatcher
from tests.helpers import load_jsonl_fixture

CANONICAL_CASES = load_jsonl_fixture("contracts/canonical.jsonl")
VALID_REQUESTS = [c for c in load_jsonl_fixture("contracts/gatc_requests.jsonl") if c["valid"]]
GRAMMAR = GbnfMatcher(grammar_text())


def _request_strategy():
    schema = load_schema("gatc_request.schema.json")
    # Long strings add nothing to these properties and slow generation down.
    return from_schema(schema).filter(lambda r: len(json.dumps(r)) < 2000)


@pytest.mark.parametrize("case", CANONICAL_CASES, ids=[c["id"] for c in CANONICAL_CASES])
def test_canonical_serialization_vectors(case):
    assert dumps_request(case["request"]) == case["canonical"]


@pytest.mark.parametrize("case", VALID_REQUESTS, ids=[c["id"] for c in VALID_REQUESTS])
def test_valid_requests_are_accepted_by_the_grammar(case):
    assert GRAMMAR.accepts(dumps_request(case["request"]))


@pytest.mark.parametrize("action", ACTIONS)
def test_key_order_puts_required_first_in_schema_order(action):
    order = key_order(action)
    assert order[:2] == ("action", "free_text")
    assert order[-1] == "confidence"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(request=_request_strategy())
def test_every_schema_valid_request_is_accepted_by_the_grammar(request):
    text = dumps_request(request)
    assert GRAMMAR.accepts(text), text


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(request=_request_strategy())
def test_canonical_form_is_idempotent_and_lossless(request):
    text = dumps_request(request)
    again = json.loads(text)
    assert dumps_request(again) == text
    assert request_errors(again) == []

    def comparable(req):
        out = {k: v for k, v in req.items() if k != "confidence"}
        if "missing" in out:
            out["missing"] = sorted(out["missing"])
        return out

    assert comparable(again) == comparable(request)
    if "confidence" in request:
        assert again["confidence"] in CONFIDENCE_LEVELS
        assert abs(again["confidence"] - request["confidence"]) <= 0.025 + 1e-9


@settings(max_examples=100, deadline=None)
@given(
    text=st.text(
        alphabet=st.characters(min_codepoint=0, max_codepoint=0x1F), min_size=1, max_size=3
    )
)
def test_grammar_rejects_raw_control_characters_in_strings(text):
    raw = '{"action":"explain","free_text":"a' + text + '","question":"b"}'
    assert not GRAMMAR.accepts(raw)
    assert GRAMMAR.accepts(
        json.dumps(
            {"action": "explain", "free_text": "a" + text, "question": "b"}, separators=(",", ":")
        )
    )


@pytest.mark.parametrize(
    "text",
    [
        '{"action":"explain","question":"b","free_text":"a"}',  # wrong key order
        # off-step confidence
        '{"action":"explain","free_text":"a","question":"b","confidence":0.91}',
        '{"action":"create_workout","free_text":"a","sport":"run","time_available_min":-5}',
        '{"action":"create_workout","free_text":"a","sport":"swim"}',
        '{"action":"explain","free_text":"a","question":"b"} trailing',
        '{"action":"explain","free_text":"","question":"b"}',
    ],
    ids=[
        "key-order",
        "confidence-step",
        "negative-time",
        "sport-enum",
        "trailing-text",
        "empty-string",
    ],
)
def test_grammar_rejects(text):
    assert not GRAMMAR.accepts(text)


def test_canonicalize_rejects_unknown_keys_and_actions():
    with pytest.raises(ContractError):
        canonical_request({"action": "explain", "free_text": "a", "question": "b", "zone": "Z2"})
    with pytest.raises(ContractError):
        canonical_request({"action": "dance", "free_text": "a"})


def test_matcher_rejects_recursive_grammars():
    with pytest.raises(GrammarError, match="recursive"):
        GbnfMatcher('root ::= "(" root ")" | "x"').accepts("x")


@pytest.mark.parametrize(
    "grammar, good, bad",
    [
        ('root ::= [a-c]+ "!"', "abca!", "abd!"),
        ('root ::= ("x" | "y"){2,3}', "xyx", "x"),
        ('root ::= a b?\na ::= "1"\nb ::= [^0-9]', "1z", "12"),
        ('root ::= "\\x41" [\\x30-\\x39]', "A7", "B7"),
    ],
    ids=["class-plus", "repetition", "rules", "escapes"],
)
def test_matcher_semantics(grammar, good, bad):
    matcher = GbnfMatcher(grammar)
    assert matcher.accepts(good) and not matcher.accepts(bad)


def test_committed_grammar_matches_a_fresh_generation():
    from josi.contracts import generate_grammar

    assert generate_grammar() == grammar_text(), "stale grammar: run `josi grammar generate`"


@settings(max_examples=200, deadline=None)
@given(minutes=st.integers(min_value=0, max_value=1500))
def test_grammar_bounds_minutes_exactly_like_the_schema(minutes):
    text = (
        '{"action":"create_workout","free_text":"a","sport":"run",'
        f'"time_available_min":{minutes:d}}}'
    )
    assert GRAMMAR.accepts(text) == (5 <= minutes <= 600)
    assert (request_errors(json.loads(text)) == []) == (5 <= minutes <= 600)


@pytest.mark.parametrize(
    "missing, accepted",
    [
        (["sport"], True),
        (["sport", "goal"], True),
        (["goal", "sport"], False),  # not canonical order
        (["sport", "sport"], False),  # duplicates break uniqueItems
        (["sport", "time_available_min", "goal"], True),
        (["sport", "time_available_min", "goal", "intent"], False),  # maxItems 3
    ],
    ids=["one", "two-ordered", "two-unordered", "duplicate", "three", "four"],
)
def test_grammar_missing_items_are_unique_and_canonically_ordered(missing, accepted):
    text = json.dumps(
        {"action": "clarify", "free_text": "a", "missing": missing, "clarify_message": "b"},
        separators=(",", ":"),
    )
    assert GRAMMAR.accepts(text) is accepted


def test_canonical_orders_missing_like_the_grammar():
    text = dumps_request(
        {
            "action": "clarify",
            "free_text": "a",
            "missing": ["intent", "sport"],
            "clarify_message": "b",
        }
    )
    assert '"missing":["sport","intent"]' in text and GRAMMAR.accepts(text)


PIN_MESSAGES = [
    'Skip today, "really"',
    "line one\nline two",
    "back\\slash and tab\t",
    "fietsen 🚴 vandaag?",
]


@pytest.mark.parametrize(
    "message", PIN_MESSAGES, ids=["quotes", "newline", "backslash-tab", "emoji"]
)
def test_pinned_free_text_rule_spells_the_canonical_json_string(message: str) -> None:
    from josi.contracts import grammar_text, json_string, pin_free_text

    pinned = pin_free_text(grammar_text(), message)
    rules = [line for line in pinned.splitlines() if line.startswith("free-text ::= ")]
    assert len(rules) == 1 and "char+" not in rules[0]
    # Undo GBNF literal escaping: what is left is the JSON string the target carries.
    literal = rules[0].removeprefix('free-text ::= "').removesuffix('" space')
    unescaped = literal.encode().decode("unicode_escape").encode("latin-1").decode("utf-8")
    assert unescaped == json_string(message)
    assert [line for line in pinned.splitlines() if not line.startswith("free-text ::= ")] == [
        line for line in grammar_text().splitlines() if not line.startswith("free-text ::= ")
    ]


@pytest.mark.parametrize(
    "grammar, message", [('root ::= "x"', "hi"), (None, "")], ids=["no-rule", "empty-message"]
)
def test_pinning_leaves_what_it_cannot_pin(grammar: str | None, message: str) -> None:
    from josi.contracts import grammar_text, pin_free_text

    text = grammar if grammar is not None else grammar_text()
    assert pin_free_text(text, message) == text
