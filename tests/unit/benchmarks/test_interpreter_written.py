"""The written-requests validation set and the rows its benchmark scores."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from benchmarks.interpreter_heldout import score_request
from benchmarks.interpreter_written import REPORT_FILE, requests_path, rescored, written_rows
from josi.data._athlete import (
    ACTIONS,
    case_messages,
    match_form,
    read_requests,
    written_requests_path,
)
from josi.evals._cases import cases_dir


@pytest.fixture(scope="module", params=["validation", "report"])
def requests(request):
    path = requests_path() if request.param == "validation" else requests_path(REPORT_FILE)
    return read_requests(path)


def test_every_action_and_language_has_its_requests(requests) -> None:
    counts = Counter((r.lang, r.action) for r in requests)
    assert set(counts) == {(lang, action) for lang in ("en", "nl") for action in ACTIONS}
    # 24 written per cell; those a training request, a gate case or the other set also asks
    # are removed, and each cell must keep enough for a recall.
    assert min(counts.values()) >= 15, counts
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


def test_the_validation_and_report_sets_share_no_request() -> None:
    validation = {match_form(r.text) for r in read_requests(requests_path())}
    report = {match_form(r.text) for r in read_requests(requests_path(REPORT_FILE))}
    assert not validation & report


def test_rescoring_serves_the_recorded_requests_again_without_a_model(tmp_path: Path) -> None:
    path = tmp_path / "requests.jsonl"
    line = {"text": "skip today pls, knee is sore", "source": "written:en:replan"}
    path.write_text(json.dumps(line) + "\n", encoding="utf-8")
    rows, _ = written_rows(path, seed=1, excluded=frozenset())
    wrote = {"action": "create_workout", "free_text": line["text"], "sport": "run"}
    first = score_request(rows[0], wrote, parse_ok=True)
    previous = {
        "models": [{"path": "m.gguf", "sha256": "0"}],
        "rows": [
            {
                "id": rows[0]["id"],
                "lang": "en",
                "user": rows[0]["user"],
                "context": rows[0]["context"],
                "expected_request": rows[0]["expected"],
                "models": [{"request": wrote}],
            }
        ],
    }
    again_rows, again = rescored(previous)
    assert again[0][0] == first
    assert first["model"]["action"] == "create_workout" and first["served"]["action"] == "replan"
    assert again_rows[0]["expected"] == rows[0]["expected"]
