"""The calibration and sampler math on hand-computed values."""

from __future__ import annotations

import pytest

from josi.evals._calibration import (
    SamplerSettings,
    expected_accuracy,
    fragile,
    reliability,
    sampler_distribution,
)


def test_reliability_two_bins_by_hand():
    # 0.9-1.0: two cases at 0.95, one right -> |0.5 - 0.95| = 0.45, weight 1/2
    # 0.1-0.2: two cases at 0.15, none right -> |0 - 0.15| = 0.15, weight 1/2
    rel = reliability([(0.95, True), (0.95, False), (0.15, False), (0.15, False)])
    assert rel.ece == pytest.approx(0.3)
    assert rel.n == 4
    assert [(b.lo, b.n, b.mean_confidence, b.accuracy) for b in rel.bins] == [
        (0.1, 2, pytest.approx(0.15), 0.0),
        (0.9, 2, pytest.approx(0.95), 0.5),
    ]
    assert rel.to_dict()["bins"][1] == {
        "range": "0.9-1.0",
        "n": 2,
        "confidence": 0.95,
        "accuracy": 0.5,
    }


def test_reliability_edges_and_empty():
    # 1.0 belongs to the last bin, 0.0 to the first; perfectly calibrated extremes give 0.
    rel = reliability([(1.0, True), (0.0, False)])
    assert rel.ece == 0.0
    assert [(b.lo, b.hi) for b in rel.bins] == [(0.0, 0.1), (0.9, 1.0)]
    empty = reliability([])
    assert empty.ece is None and empty.bins == () and empty.to_dict()["ece"] is None


def test_sampler_top_p_then_temperature_by_hand():
    probs = {"a": 0.5, "b": 0.3, "c": 0.2}
    # top_p 0.75: cumulative 0.5, then 0.8 >= 0.75 keeps a and b; T = 1 renormalises 5:3.
    assert sampler_distribution(probs, SamplerSettings(1.0, top_p=0.75)) == pytest.approx(
        {"a": 0.625, "b": 0.375, "c": 0.0}
    )
    # T = 0.5 squares the survivors: 0.25 and 0.09 -> 0.25/0.34 and 0.09/0.34.
    assert sampler_distribution(probs, SamplerSettings(0.5, top_p=0.75)) == pytest.approx(
        {"a": 0.25 / 0.34, "b": 0.09 / 0.34, "c": 0.0}
    )
    # Without truncation T = 0.5 keeps all three: 0.25, 0.09, 0.04 over 0.38.
    assert sampler_distribution(probs, SamplerSettings(0.5)) == pytest.approx(
        {"a": 0.25 / 0.38, "b": 0.09 / 0.38, "c": 0.04 / 0.38}
    )


def test_sampler_min_p_top_k_and_greedy():
    probs = {"a": 0.5, "b": 0.3, "c": 0.2}
    # min_p 0.5: floor 0.25 keeps a and b (5:3 at T = 1).
    assert sampler_distribution(probs, SamplerSettings(1.0, min_p=0.5)) == pytest.approx(
        {"a": 0.625, "b": 0.375, "c": 0.0}
    )
    top1 = sampler_distribution(probs, SamplerSettings(1.0, top_k=1))
    assert top1 == {"a": 1.0, "b": 0.0, "c": 0.0}
    assert sampler_distribution(probs, SamplerSettings(0.0)) == {"a": 1.0, "b": 0.0, "c": 0.0}
    with pytest.raises(ValueError):
        sampler_distribution({"a": 0.0}, SamplerSettings(1.0))


def test_shipped_interpreter_sampler_by_hand():
    # The v6 interpreter: T 0.3, top_p 0.9, top_k 40, min_p 0.05. top_p keeps create (0.85)
    # and explain (0.97 >= 0.9); min_p's floor 0.0425 keeps explain; T 0.3 raises to 1/0.3.
    probs = {"create_workout": 0.85, "explain": 0.12, "replan": 0.03}
    got = sampler_distribution(probs, SamplerSettings(0.3, top_p=0.9, top_k=40, min_p=0.05))
    a, b = 0.85 ** (1 / 0.3), 0.12 ** (1 / 0.3)
    want = {"create_workout": a / (a + b), "explain": b / (a + b), "replan": 0.0}
    assert got == pytest.approx(want)
    assert got["create_workout"] == pytest.approx(0.99854, abs=1e-5)
    # A 55/45 split: top_p needs both, T 0.3 sharpens it to about 66/34 (0.6613), a fragile case.
    split = sampler_distribution(
        {"replan": 0.55, "explain": 0.45}, SamplerSettings(0.3, top_p=0.9, top_k=40, min_p=0.05)
    )
    c, d = 0.55 ** (1 / 0.3), 0.45 ** (1 / 0.3)
    assert split["replan"] == pytest.approx(c / (c + d))
    assert split["replan"] == pytest.approx(0.6613, abs=1e-4)
    assert fragile(split["replan"])


def test_expected_accuracy_and_fragile():
    assert expected_accuracy([1.0, 0.5, 0.0]) == 0.5
    assert expected_accuracy([]) is None
    assert fragile(0.89) and not fragile(0.9)
