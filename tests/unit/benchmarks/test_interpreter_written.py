"""The written-requests validation set and the rows its benchmark scores."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from benchmarks.interpreter_heldout import score_request
from benchmarks.interpreter_written import (
    REPORT_FILE,
    RESERVE_FILE,
    main,
    requests_path,
    rescored,
    written_rows,
)
from josi.data._athlete import (
    ACTIONS,
    case_messages,
    match_form,
    read_requests,
    written_requests_path,
)
from josi.evals._cases import cases_dir
from josi.postprocess import detect_request_intent

# The fewest requests a cell keeps: 24 were written per cell, and those a training request, a
# gate case or an earlier set also asks were removed.
FEWEST = {"validation": 21, "report": 17, "reserve": 16}
FILES = {
    "validation": requests_path(),
    "report": requests_path(REPORT_FILE),
    "reserve": requests_path(RESERVE_FILE),
}


@pytest.fixture(scope="module", params=sorted(FEWEST))
def requests(request):
    return request.param, read_requests(FILES[request.param])


def test_every_action_and_language_has_its_requests(requests) -> None:
    name, requests = requests
    counts = Counter((r.lang, r.action) for r in requests)
    assert set(counts) == {(lang, action) for lang in ("en", "nl") for action in ACTIONS}
    assert min(counts.values()) == FEWEST[name], counts
    forms = [match_form(r.text) for r in requests]
    assert all(forms) and len(set(forms)) == len(forms), "each request has words of its own"


def test_no_request_is_asked_by_a_gate_case_or_trained_on(requests) -> None:
    _, requests = requests
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


@pytest.mark.parametrize(
    ("first", "second"),
    [("validation", "report"), ("validation", "reserve"), ("report", "reserve")],
)
def test_no_two_sets_share_a_request(first: str, second: str) -> None:
    forms = {name: {match_form(r.text) for r in read_requests(FILES[name])} for name in FILES}
    assert not forms[first] & forms[second]


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
                "models": [{"request": wrote, "parse_ok": True}],
            }
        ],
    }
    again_rows, again = rescored(previous)
    assert again[0][0] == first
    assert first["model"]["action"] == "create_workout" and first["served"]["action"] == "replan"
    assert again_rows[0]["expected"] == rows[0]["expected"]


def test_a_replan_with_no_readable_type_is_scored_on_its_action_alone(tmp_path: Path) -> None:
    text = "we gaan vrijdag een week naar spanje, kun je het schema voor die week aanpassen?"
    hit = detect_request_intent(text)
    assert hit is None or hit.intent != "replan", "the lexicon reads no replan type here"
    path = tmp_path / "requests.jsonl"
    path.write_text(json.dumps({"text": text, "source": "written:nl:replan"}) + "\n", "utf-8")
    rows, notes = written_rows(path, seed=1, excluded=frozenset())
    assert [row["expected"] for row in rows] == [{"action": "replan"}]
    assert rows[0]["context"]["tier"] == "coach" and rows[0]["user"] == text
    assert notes == {"replans scored on their action alone (no type the request lexicon reads)": 1}


def test_rescoring_refuses_to_write_over_the_results_it_reads(tmp_path: Path) -> None:
    results = tmp_path / "results.json"
    results.write_text('{"rows": []}', encoding="utf-8")
    with pytest.raises(SystemExit, match="destroy it"):
        main(["--rescore", str(results), "--out", str(results)])
    assert results.read_text(encoding="utf-8") == '{"rows": []}'


def test_refuses_to_write_over_the_model_it_measures(tmp_path: Path) -> None:
    model = tmp_path / "model.gguf"
    model.write_bytes(b"GGUF")
    with pytest.raises(SystemExit, match="destroy it"):
        main(["--gguf", str(model), "--data", str(tmp_path), "--out", str(model)])
    assert model.read_bytes() == b"GGUF"
