"""How often a gate run's absolute gates are cleared again on resampled cases."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks.gate_headroom import headroom, main
from josi.evals._results import layer_metrics


def _record(case: int, served_ok: bool) -> dict:
    scores = [{"name": "served_action", "value": float(served_ok), "passed": served_ok}]
    return {"id": f"c{case}", "layer": "schema", "passed": served_ok, "scores": scores}


def _results(served: list[bool], bound: str = "> 0.9") -> dict:
    records = [_record(i, ok) for i, ok in enumerate(served)]
    metrics, details = layer_metrics("schema", records)
    return {
        "layers": {
            "schema": {
                "metrics": metrics,
                "details": details,
                "gates": [
                    {"metric": "schema.served_action_accuracy", "bound": bound, "status": "pass"},
                    # Judged pair by pair: not an absolute gate, so not resampled.
                    {"metric": "schema.action_accuracy", "bound": ">= 0.6", "status": "paired"},
                ],
            }
        },
        "records": records,
        "gates_failed": [],
    }


def test_a_gate_met_on_every_case_is_always_cleared() -> None:
    run = headroom(_results([True] * 20), resamples=200, seed=0)
    assert run["absolute_gates"] == 1 and run["all_cleared_share"] == 1.0
    assert [g["metric"] for g in run["gates"]] == ["schema.served_action_accuracy"]


def test_a_gate_met_by_one_case_is_cleared_only_sometimes_and_the_same_way_twice() -> None:
    # 19 of 20 against "> 0.9": one more failing case fails it.
    results = _results([True] * 19 + [False])
    first = headroom(results, resamples=500, seed=3)
    share = first["gates"][0]["cleared_share"]
    # Binomial(20, 0.95) reaches 19 with probability 0.736.
    assert 0.65 < share < 0.82
    assert first == headroom(results, resamples=500, seed=3)
    left_out = headroom(
        results, resamples=500, seed=3, leave_out=frozenset({"schema.served_action_accuracy"})
    )
    assert left_out["all_cleared_share"] == 1.0 and left_out["gates"][0]["cleared_share"] == share
    assert left_out["every_gate_cleared_share"] == first["all_cleared_share"] == share


def test_each_metric_keeps_its_case_count() -> None:
    # Two of 40 cases are scored on the served action: a plain resample would draw neither in
    # about 13% of resamples and leave the gate without a figure.
    other = {"name": "valid_json", "value": 1.0, "passed": True}
    records = [
        {"id": f"c{i}", "layer": "schema", "passed": True, "scores": [other]} for i in range(38)
    ] + [_record(38, True), _record(39, True)]
    metrics, details = layer_metrics("schema", records)
    results = _results([True] * 2)
    results["records"] = records
    results["layers"]["schema"]["metrics"] = metrics
    results["layers"]["schema"]["details"] = details
    assert headroom(results, resamples=300, seed=0)["all_cleared_share"] == 1.0


def test_records_that_do_not_give_the_recorded_figures_are_refused() -> None:
    results = _results([True] * 19 + [False])
    results["layers"]["schema"]["metrics"]["served_action_accuracy"] = 1.0
    with pytest.raises(SystemExit, match="written by other code"):
        headroom(results, resamples=10, seed=0)


def test_the_command_writes_its_figures_and_never_overwrites_its_input(tmp_path: Path) -> None:
    source = tmp_path / "results.json"
    source.write_text(json.dumps(_results([True] * 19 + [False])), encoding="utf-8")
    with pytest.raises(SystemExit, match="is an input"):
        main([str(source), "--out", str(source)])
    out = tmp_path / "headroom.json"
    assert main([str(source), "--out", str(out), "--resamples", "50"]) == 0
    runs = json.loads(out.read_text(encoding="utf-8"))["runs"]
    assert runs[0]["gates"][0]["count"] == "19/20"
    broken = tmp_path / "broken.json"
    broken.write_text("{", encoding="utf-8")
    with pytest.raises(SystemExit, match="cannot read results"):
        main([str(broken), "--out", str(out)])
