"""Which target tokens carry the interpreter's decisions (sft.decision_weight)."""

from __future__ import annotations

import json

import pytest

from josi._errors import ConfigError
from josi.training import load_profile
from josi.training._weights import decision_token_mask, target_prefix_texts


def _prefixes(pieces: list[str]) -> list[str]:
    out, text = [], ""
    for piece in pieces:
        text += piece
        out.append(text)
    return out


def _marked(pieces: list[str]) -> str:
    mask = decision_token_mask(_prefixes(pieces))
    return "".join(f"[{p}]" if decided else p for p, decided in zip(pieces, mask, strict=True))


def test_the_copied_message_is_not_a_decision_and_everything_else_is() -> None:
    pieces = [
        '{"',
        "action",
        '":"',
        "re",
        "plan",
        '","',
        "free",
        "_text",
        '":"',
        "skip",
        " today",
        '","',
        "replan",
        "_type",
        '":"',
        "skip_today",
        '"}',
        "<|im_end|>",
    ]
    assert _marked(pieces) == (
        '[{"][action][":"][re][plan][","][free][_text][":"]skip today[","]'
        '[replan][_type][":"][skip_today]["}][<|im_end|>]'
    )


def test_the_token_that_ends_the_copy_is_a_decision() -> None:
    pieces = ['{"action":"explain","free_text":"', "why", ' so easy?"', ',"confidence":0.9}']
    assert decision_token_mask(_prefixes(pieces)) == [True, False, True, True]


def test_escaped_quotes_stay_inside_the_copy() -> None:
    message = 'Is "easy" really easy?'
    body = json.dumps(message)[1:-1]
    pieces = [
        '{"action":"answer_question","free_text":"',
        body[:10],
        body[10:],
        '","question":"x"}',
    ]
    assert decision_token_mask(_prefixes(pieces)) == [True, False, False, True]


@pytest.mark.parametrize(
    "target",
    ["Your body needs an easy day.", '  {"note": "not a request"}', ""],
    ids=["coach-reply", "other-json", "empty"],
)
def test_targets_that_are_not_requests_have_no_decision_tokens(target: str) -> None:
    pieces = [target[i : i + 4] for i in range(0, len(target), 4)]
    assert not any(decision_token_mask(_prefixes(pieces)))


def test_prefixes_come_from_the_decoder() -> None:
    vocab = {1: "ab", 2: "c", 3: "é"}
    decoded = target_prefix_texts([1, 2, 3], lambda ids: "".join(vocab[i] for i in ids))
    assert decoded == ["ab", "abc", "abcé"]


def test_decision_weight_below_one_is_rejected() -> None:
    with pytest.raises(ConfigError, match="decision_weight"):
        load_profile("nano", ["sft.decision_weight=0.5"])
