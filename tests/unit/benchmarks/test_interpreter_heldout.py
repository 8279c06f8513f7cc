"""The held-out interpreter benchmark's summary: accuracy, recall per action, fields, paired
flips."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks._heldout import held_out_by_both
from benchmarks.interpreter_heldout import field_hits, paired, summarize


def _scored(
    expected: str, model: str | None, served: str | None = None, right: int = 0, fields: int = 1
) -> dict:
    served = model if served is None else served
    return {
        "expected": expected,
        "parse_ok": model is not None,
        # As benchmarks.interpreter_heldout.score_request records it.
        "request": {"action": model} if model is not None else {},
        "model": {"action": model, "fields_right": right, "fields": fields},
        "served": {"action": served, "fields_right": right, "fields": fields},
    }


def test_mean_recall_does_not_reward_always_writing_the_common_action():
    rows = [{"lang": "en"}] * 4 + [{"lang": "nl"}]
    scored = [_scored("create_workout", "create_workout", right=1)] * 4 + [
        _scored("replan", "create_workout")
    ]
    summary = summarize(rows, scored)["all"]["model"]
    assert summary["action_accuracy"] == 0.8
    assert summary["recall"] == {"create_workout": 1.0, "replan": 0.0}
    assert summary["mean_recall"] == 0.5
    assert summary["field_accuracy"] == 0.8
    assert summary["predicted"] == {"create_workout": 5}


def test_views_and_languages_are_kept_apart():
    rows = [{"lang": "en"}, {"lang": "nl"}]
    scored = [
        _scored("clarify", "create_workout", served="clarify"),
        _scored("replan", None, served=None),
    ]
    summary = summarize(rows, scored)
    assert summary["en"]["model"]["action_accuracy"] == 0.0
    assert summary["en"]["served"]["action_accuracy"] == 1.0
    assert summary["nl"]["parse_ok"] == 0.0 and summary["all"]["rows"] == 2


def test_paired_counts_rows_only_one_model_gets_right():
    first = [
        _scored("replan", "replan"),
        _scored("replan", "replan"),
        _scored("explain", "clarify"),
    ]
    second = [
        _scored("replan", "create_workout"),
        _scored("replan", "replan"),
        _scored("explain", "explain"),
    ]
    result = paired(first, second)
    assert (result["first_only"], result["second_only"]) == (1, 1)
    assert result["mcnemar_p"] == pytest.approx(1.0)


def test_what_the_engine_is_asked_unasked_is_counted_over_the_rows_it_could_misroute():
    rows = [{"lang": "en"}] * 6
    scored = [
        # A question built as a workout, and a clarify request replanned: both reach the engine.
        _scored("answer_question", "create_workout", served="explain"),
        _scored("clarify", "replan"),
        # A workout request replanned changes the plan unasked, but asked the engine.
        _scored("create_workout", "replan"),
        _scored("replan", "replan"),
        _scored("explain", "explain"),
        _scored("create_workout", "create_workout"),
    ]
    summary = summarize(rows, scored)["all"]
    assert summary["model"]["engine_action_unasked"] == {"k": 2, "n": 3}
    assert summary["model"]["replan_unasked"] == {"k": 2, "n": 5}
    assert summary["served"]["engine_action_unasked"] == {"k": 1, "n": 3}
    first = paired(scored, scored, "model")
    assert first["engine_action_unasked"] == {"first_only": 0, "second_only": 0, "mcnemar_p": 1.0}
    fixed = [_scored("answer_question", "answer_question"), *scored[1:]]
    result = paired(scored, fixed, "model")
    assert (
        result["engine_action_unasked"]["first_only"],
        result["engine_action_unasked"]["second_only"],
    ) == (1, 0)
    assert result["replan_unasked"]["first_only"] == result["replan_unasked"]["second_only"] == 0


def test_field_hits_skip_the_copied_message_and_confidence():
    expected = {
        "action": "create_workout",
        "free_text": "x",
        "sport": "run",
        "time_available_min": 45,
        "confidence": 0.95,
    }
    assert field_hits(expected, {"sport": "run", "time_available_min": 30, "free_text": "y"}) == (
        1,
        2,
    )


def test_held_out_in_marks_the_rows_both_builds_hold_out(tmp_path: Path) -> None:
    other = tmp_path / "other"
    other.mkdir()
    (other / "interpreter.test.jsonl").write_text(
        "".join(json.dumps({"id": i}) + "\n" for i in ("i-a", "i-c"))
    )
    rows = [{"id": "i-a"}, {"id": "i-b"}, {"id": "i-c"}]
    assert held_out_by_both(rows, other, "interpreter.test.jsonl") == [True, False, True]


def test_held_out_in_reports_the_shared_rows_beside_the_whole_split(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import benchmarks._heldout as heldout
    from benchmarks.interpreter_heldout import main

    def row(i: str) -> dict:
        return {
            "id": i,
            "lang": "en",
            "user": "u",
            "context": {},
            "expected": {"action": "explain"},
        }

    data, other = tmp_path / "data", tmp_path / "other"
    data.mkdir()
    other.mkdir()
    (data / "interpreter.test.jsonl").write_text(
        "".join(json.dumps(row(i)) + "\n" for i in ("i-a", "i-b", "i-c"))
    )
    (other / "interpreter.test.jsonl").write_text(json.dumps(row("i-a")) + "\n")
    first, second = tmp_path / "first.gguf", tmp_path / "second.gguf"
    first.write_bytes(b"1")
    second.write_bytes(b"2")

    def measure(config, rows, score_row):  # first model right on every row, second on none
        action = "explain" if config.gguf == first else "replan"
        return [_scored("explain", action) for _ in rows]

    monkeypatch.setattr(heldout, "measure", measure)
    out = tmp_path / "out.json"
    assert (
        main(
            [
                "--gguf",
                str(first),
                "--against",
                str(second),
                "--data",
                str(data),
                "--held-out-in",
                str(other),
                "--out",
                str(out),
            ]
        )
        == 0
    )
    results = json.loads(out.read_text())
    assert results["data"]["rows"] == 3
    assert results["held_out_by_both"]["rows"] == 1
    assert results["held_out_by_both"]["paired_action"]["model"]["first_only"] == 1
    assert [r["held_out_by_both"] for r in results["rows"]] == [True, False, False]
    # Each row keeps the request as written, so the served path can be measured again.
    assert [m["request"]["action"] for m in results["rows"][0]["models"]] == ["explain", "replan"]


@pytest.mark.parametrize("target", ["model", "split"])
def test_refuses_to_write_over_the_model_or_the_split_it_reads(tmp_path: Path, target: str) -> None:
    from benchmarks.interpreter_heldout import main

    model, data = tmp_path / "model.gguf", tmp_path / "data"
    data.mkdir()
    split = data / "interpreter.test.jsonl"
    model.write_bytes(b"GGUF")
    split.write_text("{}\n", encoding="utf-8")
    out = model if target == "model" else split
    before = out.read_bytes()
    with pytest.raises(SystemExit, match="destroy it"):
        main(["--gguf", str(model), "--data", str(data), "--out", str(out)])
    assert out.read_bytes() == before


def test_every_file_a_benchmark_reads_is_refused_as_its_output(tmp_path: Path) -> None:
    from benchmarks._heldout import model_and_data

    model, other, data = tmp_path / "model.gguf", tmp_path / "other.gguf", tmp_path / "data"
    data.mkdir()
    splits = ("coach.test.jsonl", "interpreter.test.jsonl")
    for path in (model, other, *(data / name for name in splits)):
        path.write_text("kept\n", encoding="utf-8")
    for out in (model, other, *(data / name for name in splits)):
        with pytest.raises(SystemExit, match="destroy it"):
            model_and_data(model, data, out=out, split_files=splits, also_read=(other,))
        assert out.read_text(encoding="utf-8") == "kept\n"
    fresh = tmp_path / "results.json"
    assert model_and_data(model, data, out=fresh, split_files=splits) == (model, data)
