from __future__ import annotations

import json

import pytest

from josi.evals import (
    CaseRecord,
    build_results,
    calibration,
    load_thresholds,
    render_html,
    terminal_summary,
    write_report,
)
from josi.scorers import Score


def _record(cid: str, layer: str, passed: bool, *scores: Score) -> dict:
    rec = CaseRecord(
        id=cid,
        layer=layer,
        run="interpret",
        tags=["en"],
        lang="en",
        persona="balanced",
        message=f"message <{cid}>",
        reply="Easy does it <b>",
        request={"action": "explain"},
    )
    rec.expect(Score.binary("action", passed, "got 'explain'"))
    rec.collect(*scores)
    rec.judge()
    rec.prompt = [{"role": "system", "content": "sys"}, {"role": "user", "content": "hi"}]
    return rec.to_dict()


def _schema_records(n_ok: int, n_bad: int) -> list[dict]:
    valid = Score.binary("valid_json", True)
    ok = [
        _record(f"s{i}", "schema", True, valid, Score("field_accuracy", 1.0, True))
        for i in range(n_ok)
    ]
    bad = [
        _record(f"b{i}", "schema", False, valid, Score("field_accuracy", 0.5, False))
        for i in range(n_bad)
    ]
    return ok + bad


def test_complete_layer_is_gated():
    records = _schema_records(8, 2)
    ids = {"schema": [r["id"] for r in records]}
    res = build_results(records, thresholds=load_thresholds("production"), case_ids=ids)
    layer = res["layers"]["schema"]
    assert layer["complete"] and layer["metrics"]["action_accuracy"] == 0.8
    assert layer["metrics"]["field_accuracy"] == pytest.approx(0.9)
    assert "schema.action_accuracy" in res["gates_failed"]
    assert "schema.valid_json_rate" not in res["gates_failed"]


def test_partial_layer_is_reported_not_gated():
    records = _schema_records(3, 2)
    ids = {"schema": [r["id"] for r in records] + ["never-ran"]}
    res = build_results(records, thresholds=load_thresholds("production"), case_ids=ids)
    layer = res["layers"]["schema"]
    assert not layer["complete"] and layer["missing"] == ["never-ran"]
    assert res["gates_failed"] == []
    assert "schema.action_accuracy" in res["gates_not_evaluated"]
    assert any("PARTIAL: 5/6" in line for line in terminal_summary(res))


def test_duplicate_records_count_once():
    records = _schema_records(2, 0)
    res = build_results(
        records + records[:1], thresholds=load_thresholds("nano"), case_ids={"schema": ["s0", "s1"]}
    )
    assert res["layers"]["schema"]["cases_run"] == 2 and res["duplicates"] == ["schema:s0"]


def test_calibration_on_a_known_set():
    def rec(confidence: float, passed: bool) -> dict:
        return {
            "passed": passed,
            "scores": [{"name": "confidence", "value": confidence, "passed": True}],
        }

    recs = [rec(0.95, True)] * 9 + [rec(0.95, False)] + [rec(0.3, False)] * 10
    cal = calibration(recs)
    # bin 0.9-1.0: conf 0.95, acc 0.9 -> 0.05; bin 0.3-0.4: conf 0.3, acc 0 -> 0.3; weights 1/2 each
    assert cal["ece"] == pytest.approx(0.175)
    assert cal["high_confidence_accuracy"] == 0.9
    assert [b["n"] for b in cal["buckets"]] == [10, 0, 10]


def test_missing_metric_on_a_complete_layer_fails_its_gate():
    recs = [_record("c1", "confidence", True, Score("confidence", 0.0, False, "none served"))]
    res = build_results(
        recs, thresholds=load_thresholds("production"), case_ids={"confidence": ["c1"]}
    )
    assert "confidence.ece" in res["gates_failed"]


def test_report_renders_records_and_below_target(tmp_path):
    # 1 of 4 right (0.25) is under even nano's measured action-accuracy floor.
    records = _schema_records(1, 3)
    res = build_results(
        records,
        thresholds=load_thresholds("nano"),
        case_ids={"schema": ["s0", "b0", "b1", "b2"]},
        run={"gguf": "/m/fake.gguf", "wall_s": 1.5},
    )
    html = render_html(res)
    assert (
        html.startswith("<!doctype html>")
        and "<script" not in html
        and "http" not in html.split("</style>")[1]
    )
    assert "message &lt;b0&gt;" in html and "Easy does it &lt;b&gt;" in html
    assert "below production target" in html
    lines = terminal_summary(res)
    assert any("below production target" in line for line in lines)
    assert any(line.startswith("GATES FAILED") for line in lines)
    paths = write_report(res, tmp_path / "r")
    assert json.loads(paths["json"].read_text())["layers"]["schema"]["cases_run"] == 4
    assert paths["html"].read_text().count("<details>") == 4
