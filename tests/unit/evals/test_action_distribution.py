"""Per-case action-distribution facts and what a run reports from them."""

from __future__ import annotations

import pytest

from josi.evals import CaseRecord, build_results, load_thresholds, render_html, terminal_summary
from josi.evals._action_dist import action_facts, shipped_interpreter_sampler
from josi.evals._calibration import sampler_distribution
from josi.scorers import Score

SURE = {
    "create_workout": 0.97,
    "replan": 0.01,
    "explain": 0.01,
    "answer_question": 0.005,
    "clarify": 0.005,
}
SPLIT = {
    "create_workout": 0.05,
    "replan": 0.55,
    "explain": 0.40,
    "answer_question": 0.0,
    "clarify": 0.0,
}


def _record(cid: str, probs: dict, *, predicted: str, expected: str, self_conf: float) -> dict:
    rec = CaseRecord(
        id=cid,
        layer="confidence",
        run="interpret",
        tags=["en"],
        lang="en",
        persona="balanced",
        message=cid,
        request={"action": predicted},
    )
    facts = action_facts(probs, predicted=predicted, expected=expected, self_confidence=self_conf)
    served = facts["confidence_by_source"]["action_probability"]
    rec.expect(Score.binary("action", predicted == expected))
    rec.collect(Score("confidence", served, True))
    rec.facts = {"confidence_source": "action_probability", **facts}
    rec.judge()
    return rec.to_dict()


def test_the_shipped_sampler_is_the_runtime_default():
    from josi.runtime import RuntimeConfig

    settings = shipped_interpreter_sampler()
    config = RuntimeConfig(gguf="m.gguf")
    assert (settings.temperature, settings.top_p, settings.top_k, settings.min_p) == (
        config.interpreter_temperature,
        config.top_p,
        config.top_k,
        config.min_p,
    )


def test_facts_of_one_call():
    facts = action_facts(SPLIT, predicted="replan", expected="explain", self_confidence=0.95)
    assert facts["confidence_by_source"] == {"self": 0.95, "action_probability": 0.55}
    want = sampler_distribution(SPLIT, shipped_interpreter_sampler())["explain"]
    assert facts["p_expected_sampled"] == pytest.approx(want, abs=1e-6) and facts["fragile"]
    assert 0.0 < want < 0.5  # T 0.3 sharpens 55/40 towards the wrong action
    unscored = action_facts(None, predicted="replan", expected="explain", self_confidence=0.9)
    assert unscored["action_probs"] is None and "p_expected_sampled" not in unscored


def test_run_reports_expected_accuracy_fragile_cases_and_both_sources():
    records = [
        _record("sure", SURE, predicted="create_workout", expected="create_workout", self_conf=0.9),
        _record("split", SPLIT, predicted="replan", expected="replan", self_conf=0.95),
        _record("wrong", SPLIT, predicted="replan", expected="explain", self_conf=0.95),
    ]
    res = build_results(
        records,
        thresholds=load_thresholds("nano"),
        case_ids={"confidence": [r["id"] for r in records]},
    )
    details = res["layers"]["confidence"]["details"]
    dist = details["action_distribution"]
    p_split = sampler_distribution(SPLIT, shipped_interpreter_sampler())
    p_sure = sampler_distribution(SURE, shipped_interpreter_sampler())["create_workout"]
    assert dist["greedy_action_accuracy"] == pytest.approx(2 / 3, abs=1e-4)
    assert dist["expected_action_accuracy"] == pytest.approx(
        (p_sure + p_split["replan"] + p_split["explain"]) / 3, abs=1e-4
    )
    assert dist["fragile"] == ["split", "wrong"]
    assert res["fragile"] == ["confidence:split", "confidence:wrong"]
    by_source = details["calibration_by_source"]
    # self: 0.9 right, 0.95 right, 0.95 wrong -> bin 0.9-1.0: conf 0.9333, acc 0.6667
    assert by_source["self"]["ece"] == pytest.approx(0.2667, abs=1e-4)
    # P(action) served on 0.05 steps: 0.95 right; 0.55 right and wrong -> 0.05/3 + 2/3 * 0.05
    assert by_source["action_probability"]["ece"] == pytest.approx(0.05, abs=1e-4)
    assert details["confidence_source"] == "action_probability"
    assert res["layers"]["confidence"]["metrics"]["ece"] == by_source["action_probability"]["ece"]
    summary = "\n".join(terminal_summary(res))
    assert "expected under the shipped sampler" in summary and "split, wrong" in summary
    assert "action_probability (served) 0.05" in summary
    page = render_html(res)
    assert "action distribution" in page and "replan 0.550, explain 0.400" in page
    assert "served confidence source: action_probability" in page
