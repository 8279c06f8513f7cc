"""The action-distribution benchmark's summary on hand-made rows."""

from __future__ import annotations

import pytest

from benchmarks.action_distribution import summarize
from josi.evals._action_dist import shipped_interpreter_sampler
from josi.evals._calibration import sampler_distribution

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


def _row(expected, action, probs, conf):
    return {
        "id": "r",
        "lang": "en",
        "expected": expected,
        "action": action,
        "self_confidence": conf,
        "probs": probs,
        "candidate_mass": 0.99 if probs else None,
    }


def test_summary_by_hand():
    rows = [
        _row("create_workout", "create_workout", SURE, 0.9),
        _row("explain", "replan", SPLIT, None),
        _row("replan", "replan", None, 0.9),
    ]  # not scored: no action position
    s = summarize(rows)
    assert (s["rows"], s["scored"]) == (3, 2)
    assert s["greedy_action_accuracy"] == 0.5 and s["greedy_is_argmax"] == 1.0
    p = [
        sampler_distribution(SURE, shipped_interpreter_sampler())["create_workout"],
        sampler_distribution(SPLIT, shipped_interpreter_sampler())["explain"],
    ]
    assert s["expected_action_accuracy"] == pytest.approx(sum(p) / 2, abs=1e-4)
    assert s["fragile_share"] == 0.5 and s["fragile_right_greedily"] == 0
    # self: two rows at 0.9, both right -> 0.1
    # P(action): 0.95 right, 0.55 wrong -> (0.05 + 0.55) / 2
    assert s["calibration"]["self"]["ece"] == pytest.approx(0.1)
    assert s["calibration"]["action_probability"]["ece"] == pytest.approx(0.3)
    assert s["candidate_mass"] == {"mean": 0.99, "min": 0.99}
