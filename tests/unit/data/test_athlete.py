"""Athlete-written requests as interpreter training rows (josi.data._athlete)."""

from __future__ import annotations

from collections import Counter
from dataclasses import replace
from pathlib import Path

import pytest

from josi.contracts import dumps_request, request_errors
from josi.data import load_split, write_dataset
from josi.data._athlete import (
    ACTIONS,
    CATEGORY,
    WrittenRequest,
    athlete_rows,
    case_messages,
    match_form,
    read_requests,
    written_requests_path,
)
from josi.evals._cases import cases_dir
from josi.postprocess import detect_request_intent, find_sports

from .conftest import SMALL


@pytest.fixture(scope="module")
def requests() -> list[WrittenRequest]:
    return read_requests(written_requests_path())


@pytest.fixture(scope="module")
def gate_messages() -> frozenset[str]:
    return case_messages(cases_dir())


@pytest.fixture(scope="module")
def built(requests, gate_messages):
    return athlete_rows(requests, copies=2, seed=0, excluded=gate_messages)


def test_every_action_and_language_has_its_hundred_requests(requests) -> None:
    counts = Counter((r.lang, r.action) for r in requests)
    assert counts == {(lang, action): 100 for lang in ("en", "nl") for action in ACTIONS}


def test_targets_are_canonical_valid_and_keep_the_writers_action(built) -> None:
    rows, _ = built
    for row in rows:
        assert not request_errors(row["expected"]), row["user"]
        assert row["completion"] == dumps_request(row["expected"])
        assert row["expected"]["free_text"] == row["user"]
        assert row["category"] == CATEGORY and row["context"]["tier"] == "coach"
        assert row["context"]["planned_session"], "the writers labelled with a session planned"


def test_each_kept_request_gives_its_copies_in_distinct_contexts(built) -> None:
    rows, _ = built
    by_request: dict[str, list[dict]] = {}
    for row in rows:
        by_request.setdefault(row["group"], []).append(row)
    assert all(len(copies) == 2 for copies in by_request.values())
    assert all(a["context"] != b["context"] for a, b in by_request.values())


def test_fields_are_what_the_served_path_reads(built) -> None:
    rows, _ = built
    for row in rows:
        expected, hit = row["expected"], detect_request_intent(row["user"])
        if expected["action"] == "replan":
            assert hit is not None and expected["replan_type"] == hit.replan_type
        if expected["action"] == "create_workout" and not find_sports(row["user"]):
            assert expected["sport"] == "run", "no sport named: the profile's"
        if expected["action"] == "clarify":
            unclear = hit is not None and hit.intent == "unclear_replan"
            assert expected["missing"] == (["replan_type"] if unclear else ["intent"])


def test_no_gate_case_message_is_trained_on(built, gate_messages) -> None:
    rows, left_out = built
    assert not {match_form(row["user"]) for row in rows} & gate_messages
    assert left_out["asked by a gate case or a held-out row"] > 0


def test_same_inputs_same_rows(requests, gate_messages, built) -> None:
    again = athlete_rows(requests, copies=2, seed=0, excluded=gate_messages)
    assert again == built


def _by_message(rows: list[dict]) -> dict[str, list[tuple]]:
    out: dict[str, list[tuple]] = {}
    for row in rows:
        out.setdefault(row["user"], []).append((row["context"], row["expected"]))
    return out


def test_a_request_that_leaves_changes_no_other_requests_rows(
    requests, gate_messages, built
) -> None:
    """A lexicon that reads one more replan type, or a new gate case, adds or removes one
    request: every other request keeps its contexts and its target."""
    kept = _by_message(built[0])
    dropped = next(iter(kept))
    fewer = athlete_rows(
        [r for r in requests if r.text != dropped],
        copies=2,
        seed=0,
        excluded=gate_messages,
    )
    assert _by_message(fewer[0]) == {m: rows for m, rows in kept.items() if m != dropped}


def test_unreadable_requests_are_refused(tmp_path: Path) -> None:
    bad = tmp_path / "requests.jsonl"
    bad.write_text('{"text": "hi", "source": "written"}\n', encoding="utf-8")
    with pytest.raises(Exception, match=r"requests\.jsonl:1"):
        read_requests(bad)


def test_the_rows_join_training_only_and_leave_every_other_file_unchanged(
    small_dataset: Path, tmp_path: Path
) -> None:
    write_dataset(tmp_path, replace(SMALL, athlete_message_copies=1))
    for mode, split in [("interpreter", "val"), ("interpreter", "test"), ("coach", "train")]:
        name = f"{mode}.{split}.jsonl"
        assert (tmp_path / name).read_bytes() == (small_dataset / name).read_bytes()
    before = load_split(small_dataset, "interpreter", "train")
    after = load_split(tmp_path, "interpreter", "train")
    assert after[: len(before)] == before
    added = after[len(before) :]
    assert added and all(row["category"] == CATEGORY for row in added)
    held_out = {
        match_form(row["user"])
        for split in ("val", "test")
        for row in load_split(tmp_path, "interpreter", split)
    }
    assert not {match_form(row["user"]) for row in added} & held_out
    assert len({row["id"] for row in after}) == len(after)
