"""Scorer results on the record, by name, and the metrics declared against them."""

from __future__ import annotations

import pytest

from josi.contracts import dumps_request
from josi.evals import METRICS, CaseRecord, build_results, load_cases, load_thresholds, run_case
from josi.evals._metrics_registry import CASE
from josi.runtime import JosiRuntime
from josi.scorers import Score


def _scripted(case, reply: str | None = None):
    options = {} if reply is None else {"coach_reply": reply}
    return run_case(JosiRuntime.scripted(dumps_request(case.coach_request()), **options), case)


@pytest.mark.parametrize(
    "layer",
    [
        layer
        for layer, table in METRICS.items()
        if any(m.score not in (None, CASE) for m in table.values())
    ],
)
def test_every_metric_reads_a_scorer_result_its_layer_produces(layer):
    wanted = {m.score for m in METRICS[layer].values()} - {None, CASE}
    for case in load_cases(layer):
        wanted -= set(_scripted(case).scores)
        if not wanted:
            break
    assert not wanted, f"no {layer} case produces {sorted(wanted)}"


def test_an_invented_fact_is_found_as_data_and_counted():
    reply = "Good luck with the marathon, keep today easy."
    record = next(
        r
        for r in (_scripted(c, reply) for c in load_cases("memory"))
        if "marathon" not in r.context_text.casefold()
    )
    case = next(c for c in load_cases("memory") if c.id == record.id)
    assert record.scores["invented_facts"].metadata["invented"] == ("marathon",)
    assert record.scores["memory_use"].metadata["invented"] == ("marathon",)
    clean = _scripted(case)
    ids = [record.id, "other"]
    res = build_results(
        [record.to_dict(), clean.to_dict() | {"id": "other"}],
        thresholds=load_thresholds("nano"),
        case_ids={"memory": ids},
    )
    assert res["layers"]["memory"]["metrics"]["invented_fact_count"] == 1.0
    assert res["layers"]["memory"]["details"]["intervals"]["invented_fact_count"] == {
        "k": 1,
        "n": 2,
    }


def _record(cid: str, *scores: Score) -> dict:
    rec = CaseRecord(
        id=cid,
        layer="grounding",
        run="coach",
        tags=["en"],
        lang="en",
        persona="balanced",
        message="m",
    )
    rec.collect(*scores)
    rec.judge()
    return rec.to_dict()


def test_a_metric_aggregates_only_the_records_holding_its_scorer_result():
    # Only replies given an engine result carry grounding_use; the rate is over those.
    records = [
        _record("a", Score.binary("grounding_use", True)),
        _record("b", Score.binary("grounding_use", False)),
        _record("c", Score.binary("grounded_numbers", True)),
    ]
    res = build_results(
        records, thresholds=load_thresholds("nano"), case_ids={"grounding": ["a", "b", "c"]}
    )
    metrics = res["layers"]["grounding"]["metrics"]
    assert (
        metrics["reference_rate"] == 0.5
        and metrics["grounded_number_rate"] == 1.0
        and metrics["pass_rate"] == 1.0
    )


def test_checks_name_the_scores_they_read():
    rec = CaseRecord(
        id="q",
        layer="quality",
        run="coach",
        tags=["en"],
        lang="en",
        persona="balanced",
        message="m",
    )
    grounded = Score("grounded_numbers", 0.5, False, "invented ['173']", {"invented": ("173",)})
    rec.expect(Score.binary("forbidden_words", True, "none"), grounded, grounded)
    rec.collect(Score("warmth", 4.0, True))
    rec.judge()
    doc = rec.to_dict()
    assert not rec.passed and rec.failures() == ["grounded_numbers: invented ['173']"] * 2
    assert [c["name"] for c in doc["checks"]] == [
        "forbidden_words",
        "grounded_numbers",
        "grounded_numbers",
    ]
    assert doc["checks"][1] == {
        "name": "grounded_numbers",
        "passed": False,
        "reason": "invented ['173']",
    }
    assert [s["name"] for s in doc["scores"]] == ["forbidden_words", "grounded_numbers", "warmth"]
    assert doc["scores"][1]["metadata"] == {"invented": ("173",)}


def test_the_schema_layer_scores_the_served_request_beside_the_models_own():
    # "Help" written as a question: the post-processor reads a vague ask and serves a clarify
    # question, which the case expects; the case's outcome stays the model's.
    case = next(c for c in load_cases("schema") if c.id == "schema-cl-nl-help")
    written = {"action": "answer_question", "free_text": case.message, "question": case.message}
    record = run_case(JosiRuntime.scripted(dumps_request(written)), case)
    assert not record.scores["action"].passed and not record.passed
    assert record.scores["served_action"].passed
    assert record.facts["served_action"] == "clarify"
    assert record.scores["served_field_accuracy"].value > record.scores["field_accuracy"].value
    # A request the post-processor leaves alone is served as written.
    record = run_case(JosiRuntime.scripted(dumps_request(case.request)), case)
    assert record.scores["action"].passed and record.scores["served_action"].passed
    assert record.scores["served_field_accuracy"].value == record.scores["field_accuracy"].value
