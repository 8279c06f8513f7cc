from __future__ import annotations

import json
import random
from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest

from josi.contracts import dumps_request, request_errors
from josi.data import _build as build
from josi.data import _coach as coach
from josi.data import _interpreter as interp
from josi.data._noise import add_noise, noisy_message
from josi.data._slots import fill, placeholders
from josi.data._templates import templates
from josi.lang import detect_language
from josi.postprocess import detect_red_flags, extract_minutes, normalize_sport
from josi.postprocess._sport import find_sports

from .conftest import SMALL

LANGS = ("en", "nl")


def _check_target(row: dict[str, Any]) -> None:
    expected = row["expected"]
    assert request_errors(expected) == [], row["user"]
    assert row["completion"] == dumps_request(expected)
    assert expected["free_text"] == row["user"]
    if "question" in expected:
        assert expected["question"] == row["user"]


def _cover(
    make: Callable[[random.Random], dict[str, Any]], want: set[str], tries: int = 4000
) -> list[dict]:
    """Generate until every phrasing group in ``want`` has appeared; return the rows."""
    rng = random.Random(f"cover:{sorted(want)[0]}")
    seen: set[str] = set()
    out = []
    for _ in range(tries):
        row = make(rng)
        seen.add(row["group"])
        out.append(row)
        if want <= seen:
            break
    assert want <= seen, sorted(want - seen)
    return out


@pytest.mark.parametrize("lang", LANGS)
@pytest.mark.parametrize("source", ["explicit", "missing"])
def test_every_create_template_yields_a_valid_target(lang: str, source: str) -> None:
    pool = templates("messages")["create_workout"][lang]
    want = {
        f"create:{lang}:{i}"
        for i, t in enumerate(pool)
        if ("sport" in placeholders(t)) == (source == "explicit")
    }
    for row in _cover(lambda r: interp.create_workout(r, lang, source), want):
        _check_target(row)
        expected = row["expected"]
        # Durations are written in forms the runtime reads back to the same minutes.
        assert extract_minutes(row["user"]) == expected.get("time_available_min"), row["user"]
        if source == "missing":
            assert expected["action"] == "clarify" and normalize_sport(row["user"]) is None, row[
                "user"
            ]
        else:
            assert normalize_sport(row["user"]) in (None, expected["sport"]), row["user"]


@pytest.mark.parametrize("lang", LANGS)
def test_every_template_slot_is_read_back(lang: str) -> None:
    rng = random.Random(3)
    for key in ("create_workout", "create_workout_hedged"):
        for template in templates("messages")[key][lang]:
            for _ in range(25):
                filled = fill(rng, template, lang)
                assert extract_minutes(filled.text) == filled.minutes, filled.text
                assert set(find_sports(filled.text)) <= {filled.sport}, filled.text


@pytest.mark.parametrize("lang", LANGS)
def test_every_hedged_ambiguous_and_replan_template_yields_a_valid_target(lang: str) -> None:
    msgs = templates("messages")
    cases: list[tuple[Callable[[random.Random], dict[str, Any]], set[str]]] = [
        (
            lambda r: interp.hedged(r, lang),
            {f"hedged:{lang}:{i}" for i in range(len(msgs["create_workout_hedged"][lang]))},
        ),
        (
            lambda r: interp.ambiguous(r, lang),
            {f"ambiguous:{lang}:{i}" for i in range(len(msgs["ambiguous"][lang]))},
        ),
        (
            lambda r: interp.replan_unclear(r, lang),
            {f"replan_unclear:{lang}:{i}" for i in range(len(msgs["replan_unclear"][lang]))},
        ),
    ]
    for replan_type in interp.REPLAN_TYPES:
        pool = msgs["replan"][replan_type][lang]
        cases.append(
            (
                lambda r, t=replan_type: interp.replan(r, lang, t),
                {f"replan:{replan_type}:{lang}:{i}" for i in range(len(pool))},
            )
        )
    for make, want in cases:
        for row in _cover(make, want):
            _check_target(row)
            assert extract_minutes(row["user"]) is None, row["user"]


QUESTION_KINDS = {
    "explain_session": "explain_session",
    "explain_easy": "explain_easy",
    "explain_readiness": "explain_readiness",
    "grounded": "explain_grounded",
    "zone_question": "zone_question",
    "phase_question": "phase_question",
    "memory_tips": "memory_tips",
}


@pytest.mark.parametrize("kind", sorted(QUESTION_KINDS))
@pytest.mark.parametrize("lang", LANGS)
def test_every_question_template_yields_a_valid_target(kind: str, lang: str) -> None:
    section = QUESTION_KINDS[kind]
    want = {f"{section}:{lang}:{i}" for i in range(len(templates("messages")[section][lang]))}
    rows = _cover(
        lambda r: coach.interpreter_row(build._scenario(kind, r, lang, r.randrange(40))), want
    )
    for row in rows:
        _check_target(row)
        assert row["expected"]["action"] in ("explain", "answer_question")


@pytest.mark.parametrize("lang", LANGS)
def test_red_flag_i6_and_unrealistic_messages_route_as_intended(lang: str) -> None:
    pools = templates("coach")
    for text in pools["red_flags"][lang]:
        assert detect_red_flags(text), text
    for text in pools["i6_attempts"][lang] + pools["unrealistic"][lang]:
        assert not detect_red_flags(text), text
    if lang == "nl":
        dutch = [
            t
            for t in pools["i6_attempts"]["nl"]
            + pools["unrealistic"]["nl"]
            + pools["red_flags"]["nl"]
        ]
        assert sum(detect_language(t) == "nl" for t in dutch) / len(dutch) >= 0.9


def _messages() -> list[str]:
    rng = random.Random(11)
    out = []
    for lang in LANGS:
        for template in templates("messages")["create_workout"][lang]:
            out.append(fill(rng, template, lang).text)
        out.extend(templates("coach")["red_flags"][lang])
        for pool in templates("messages")["replan"].values():
            out.extend(pool[lang])
    return out


def test_noise_is_deterministic_and_keeps_the_meaning() -> None:
    changed = 0
    for i, text in enumerate(_messages()):
        first = noisy_message(random.Random(i), text)
        assert first == noisy_message(random.Random(i), text)
        assert extract_minutes(first) == extract_minutes(text), (text, first)
        assert find_sports(first) == find_sports(text), (text, first)
        assert detect_red_flags(first) == detect_red_flags(text), (text, first)
        assert detect_language(first) == detect_language(text), (text, first)
        changed += first != text
    assert changed >= 0.8 * len(_messages())


def test_noisy_row_keeps_its_group_and_target_except_the_message() -> None:
    rng = random.Random(5)
    row = interp.create_workout(rng, "en", "explicit")
    for seed in range(30):
        noisy = add_noise(random.Random(seed), row)
        if noisy is row:
            continue
        _check_target(noisy)
        assert noisy["group"] == row["group"] and noisy["context"] == row["context"]
        assert "noisy" in noisy["tags"]
        assert {k: v for k, v in noisy["expected"].items() if k != "free_text"} == {
            k: v for k, v in row["expected"].items() if k != "free_text"
        }
        assert json.loads(noisy["completion"]) == noisy["expected"]


def test_noise_layer_replaces_rows_in_place_and_never_moves_groups() -> None:
    clean = build._interpreter_rows(replace(SMALL, noise_share=0.0))
    noisy = build._interpreter_rows(SMALL)
    again = build._interpreter_rows(SMALL)
    assert [r["user"] for r in noisy] == [r["user"] for r in again]
    assert len(clean) == len(noisy)
    changed = 0
    for a, b in zip(clean, noisy, strict=True):
        assert a["group"] == b["group"] and a["category"] == b["category"]
        if a["user"] != b["user"]:
            changed += 1
            assert "noisy" in b["tags"]
            assert b["expected"]["free_text"] == b["user"]
            assert {
                k: v for k, v in b["expected"].items() if k not in ("free_text", "question")
            } == {k: v for k, v in a["expected"].items() if k not in ("free_text", "question")}
        else:
            assert "noisy" not in b["tags"]
    assert 0.1 * len(clean) <= changed <= 0.4 * len(clean)
