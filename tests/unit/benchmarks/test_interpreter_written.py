"""The written-requests validation set and the rows its benchmark scores."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from benchmarks.interpreter_written import requests_path, written_rows
from josi.data._athlete import (
    ACTIONS,
    case_messages,
    match_form,
    read_requests,
    written_requests_path,
)
from josi.evals._cases import cases_dir


@pytest.fixture(scope="module")
def requests():
    return read_requests(requests_path())


def test_every_action_and_language_has_its_requests(requests) -> None:
    counts = Counter((r.lang, r.action) for r in requests)
    assert set(counts) == {(lang, action) for lang in ("en", "nl") for action in ACTIONS}
    assert min(counts.values()) >= 20, counts
    forms = [match_form(r.text) for r in requests]
    assert all(forms) and len(set(forms)) == len(forms), "each request has words of its own"


def test_no_request_is_asked_by_a_gate_case_or_trained_on(requests) -> None:
    gate = case_messages(cases_dir())
    trained = {match_form(r.text) for r in read_requests(written_requests_path())}
    for request in requests:
        assert match_form(request.text) not in gate, request.text
        assert match_form(request.text) not in trained, request.text


def test_rows_keep_the_writers_action_and_leave_out_what_is_excluded(tmp_path: Path) -> None:
    path = tmp_path / "requests.jsonl"
    lines = [
        {"text": "waarom is de training van vandaag zo kort", "source": "written:nl:explain"},
        {"text": "Can you give me a 40 min run?", "source": "written:en:create_workout"},
        {"text": "hmm", "source": "written:en:clarify"},
    ]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    rows, left_out = written_rows(path, seed=1, excluded=frozenset({"hmm"}))
    assert [row["expected"]["action"] for row in rows] == ["explain", "create_workout"]
    assert left_out == {"asked by a gate case or a held-out row": 1}
    assert all(row["context"]["tier"] == "coach" for row in rows)
    assert rows[1]["expected"]["time_available_min"] == 40
    assert written_rows(path, seed=1, excluded=frozenset())[0][0] == rows[0], "seeded contexts"
