"""``josi case add``: a regression prompt in one command, validated, with the next id."""

from __future__ import annotations

import json
import shutil

import pytest

from josi._errors import ContractError
from josi.cli import main
from josi.evals import load_cases
from josi.evals._case_add import add_case, expectation, next_id
from josi.evals._cases import case_file, cases_dir


@pytest.fixture
def cases(tmp_path, monkeypatch):
    """A copy of the case files, so adding a case never touches the committed ones."""
    copy = tmp_path / "cases"
    shutil.copytree(cases_dir(), copy)
    monkeypatch.setattr("josi.evals._cases.cases_dir", lambda: copy)
    load_cases.cache_clear()
    yield copy
    load_cases.cache_clear()


def test_expectation_routes_each_key_where_the_case_format_keeps_it():
    expect = expectation(
        [
            "action=replan",
            "replan_type=skip_today",
            "deny=replan,create_workout",
            "i6=true",
            "red_flag=false",
            "time_available_min=45",
        ],
        "skip today pls",
    )
    assert expect == {
        "request": {
            "action": "replan",
            "free_text": "skip today pls",
            "replan_type": "skip_today",
            "time_available_min": 45,
        },
        "route": {"deny": ["replan", "create_workout"]},
        "reply": {"i6": True},
        "red_flag": False,
    }
    with pytest.raises(ContractError, match="no action"):
        expectation(["sport=run"], "m")
    with pytest.raises(ContractError, match="key=value"):
        expectation(["action"], "m")


def test_next_id_continues_the_stem():
    assert (
        next_id("golden", ["golden-replan-01", "golden-replan-24", "golden-create-03"], "replan")
        == "golden-replan-25"
    )
    assert next_id("confidence", [], "clarify") == "conf-clarify-01"


def test_case_add_appends_one_valid_line(cases, capsys):
    before = (cases / "golden.jsonl").read_text().splitlines()
    code = main(
        [
            "case",
            "add",
            "golden",
            "--message",
            "can't make it today, move it pls",
            "--preset",
            "run_green_coach",
            "--expect",
            "action=replan",
            "--expect",
            "replan_type=skip_today",
        ]
    )
    assert code == 0
    after = (cases / "golden.jsonl").read_text().splitlines()
    assert after[:-1] == before
    line = json.loads(after[-1])
    assert line["id"] == "golden-replan-25" and line["tags"] == ["en"]
    assert line["expect"]["request"]["free_text"] == "can't make it today, move it pls"
    assert "golden-replan-25" in {c.id for c in load_cases("golden")}
    assert "added golden-replan-25" in capsys.readouterr().out


def test_an_invalid_case_is_refused_and_the_file_untouched(cases, capsys):
    before = (cases / "golden.jsonl").read_bytes()
    assert main(["case", "add", "golden", "--message", "x", "--preset", "no_such_preset"]) == 2
    assert (
        main(
            [
                "case",
                "add",
                "golden",
                "--message",
                "go",
                "--preset",
                "run_green_coach",
                "--expect",
                "action=fly_to_the_moon",
            ]
        )
        == 2
    )
    assert main(["case", "add", "schema", "--message", "go", "--preset", "run_green_coach"]) == 2
    assert (cases / "golden.jsonl").read_bytes() == before
    err = capsys.readouterr().err
    assert "Traceback" not in err and "no_such_preset" in err


def test_case_from_a_results_record(cases, tmp_path):
    case = load_cases("golden")[0]
    record = {
        "id": "run-7",
        "layer": "golden",
        "tags": ["en"],
        "message": "lets do 30 min on the bike",
        "history": [],
        "context": case.context,
        "expected": {},
    }
    results = tmp_path / "results.json"
    results.write_text(json.dumps({"records": [record], "layers": {}}))
    new_id, path = add_case(
        "golden",
        {
            **{k: record[k] for k in ("tags", "message", "history", "context")},
            "expect": expectation(["action=create_workout", "sport=bike"], record["message"]),
        },
        hint="bike",
    )
    assert path == case_file("golden") and new_id == "golden-bike-01"
    assert (
        main(
            [
                "case",
                "add",
                "golden",
                "--from",
                str(results),
                "--id",
                "run-7",
                "--expect",
                "action=create_workout",
                "--expect",
                "sport=bike",
                "--expect",
                "time_available_min=30",
            ]
        )
        == 0
    )
    load_cases.cache_clear()
    added = load_cases("golden")[-1]
    assert added.id == "golden-create-41" and added.request["time_available_min"] == 30
