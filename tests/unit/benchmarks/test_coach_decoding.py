"""The held-out coach decoding benchmark's summary: rates per setting and paired flips."""

from __future__ import annotations

import pytest

from benchmarks.coach_decoding import summarize


def _scored(
    raw: bool,
    final: bool,
    checks: bool,
    tokens: int = 40,
    hit: bool = False,
    warmth: float = 3.0,
    references: bool | None = None,
    newer: bool | None = None,
) -> dict:
    return {
        "raw_loop_free": raw,
        "loop_free": final,
        "coach_checks_pass": checks,
        "tokens": tokens,
        "hit_budget": hit,
        "warmth": warmth,
        "references_result": references,
        "follows_newer_fact": newer,
    }


def test_summary_pairs_rows_and_splits_by_language():
    rows = [{"lang": "en"}, {"lang": "en"}, {"lang": "nl"}, {"lang": "nl"}]
    shipped = [
        _scored(True, True, True),
        _scored(True, True, False),
        _scored(True, True, True),
        _scored(True, False, False),
    ]
    dry_off = [
        _scored(True, True, True),
        _scored(False, True, True),
        _scored(False, False, False),
        _scored(False, False, False, tokens=200, hit=True),
    ]
    summary = summarize(rows, {"shipped": shipped, "dry_off": dry_off})
    assert summary["all"]["rows"] == 4 and summary["nl"]["rows"] == 2
    assert summary["all"]["shipped"]["raw_loop_free"] == 1.0
    assert summary["all"]["dry_off"]["raw_loop_free"] == 0.25
    assert (
        summary["nl"]["dry_off"]["hit_budget"] == 1
        and summary["nl"]["dry_off"]["tokens_mean"] == 120.0
    )
    paired = summary["all"]["paired"]
    assert paired["raw_loop_free"] == {"shipped_only": 3, "dry_off_only": 0, "mcnemar_p": 0.25}
    # One row each way on the full check: no evidence either way.
    assert paired["coach_checks_pass"]["shipped_only"] == 1
    assert paired["coach_checks_pass"]["dry_off_only"] == 1
    assert paired["coach_checks_pass"]["mcnemar_p"] == pytest.approx(1.0)


def test_summary_pairs_two_models_by_their_names():
    rows = [{"lang": "en"}, {"lang": "nl"}]
    model = [_scored(True, True, True), _scored(True, True, True)]
    against = [_scored(True, True, False), _scored(True, True, True)]
    paired = summarize(rows, {"model": model, "against": against})["all"]["paired"]
    assert paired["coach_checks_pass"]["model_only"] == 1
    assert paired["coach_checks_pass"]["against_only"] == 0


def test_summary_averages_warmth_over_every_reply_and_references_over_replies_with_a_result():
    rows = [{"lang": "en"}, {"lang": "en"}, {"lang": "nl"}]
    model = [
        _scored(True, True, True, warmth=5.0, references=True),
        _scored(True, True, True, warmth=3.0, references=False),
        _scored(True, True, True, warmth=4.0),
    ]
    summary = summarize(rows, {"model": model, "against": model})
    assert summary["all"]["model"]["warmth_mean"] == 4.0
    assert summary["all"]["model"]["reference_rate"] == 0.5
    assert summary["nl"]["model"]["reference_rate"] is None


def test_newer_fact_rate_counts_only_the_memory_update_rows():
    rows = [{"lang": "en"}, {"lang": "en"}, {"lang": "nl"}]
    model = [
        _scored(True, True, True, newer=True),
        _scored(True, True, True, newer=False),
        _scored(True, True, True),
    ]
    summary = summarize(rows, {"model": model, "against": model})
    assert summary["all"]["model"]["newer_fact_rate"] == 0.5
    assert summary["all"]["model"]["newer_fact_rows"] == 2
    assert summary["nl"]["model"]["newer_fact_rate"] is None


def test_refuses_to_write_over_the_split_it_reads(tmp_path) -> None:
    from benchmarks.coach_decoding import main

    model, data = tmp_path / "model.gguf", tmp_path / "data"
    data.mkdir()
    split = data / "coach.val.jsonl"
    model.write_bytes(b"GGUF")
    split.write_text("{}\n", encoding="utf-8")
    with pytest.raises(SystemExit, match="destroy it"):
        main(["--gguf", str(model), "--data", str(data), "--split", "val", "--out", str(split)])
    assert split.read_text(encoding="utf-8") == "{}\n"
