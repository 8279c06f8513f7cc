"""The fused-head speed benchmark: its summary pairs the runs; its settings differ in the head."""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace

import pytest

from benchmarks.fused_head_speed import SETTINGS, summary
from josi.training import load_profile


def _run(tokens_per_second: float, losses: list[float]) -> dict:
    return {"tokens": 100, "seconds": 1.0, "tokens_per_second": tokens_per_second, "losses": losses}


def test_summary_gives_the_ratio_and_the_largest_loss_difference_of_paired_runs():
    runs = {
        "every_position": [_run(100.0, [3.0, 2.0]), _run(110.0, [3.0, 2.0])],
        "labelled_positions": [_run(160.0, [3.0, 2.01]), _run(170.0, [3.0, 2.0])],
    }
    args = SimpleNamespace(steps=2, rounds=2)
    result = summary(runs, args, (0.0, 0.0, 0.0))
    assert result["ratio_to_every_position"] == {"every_position": 1.0, "labelled_positions": 1.571}
    assert result["max_loss_difference"] == pytest.approx(0.01)


@pytest.mark.parametrize("name", sorted(SETTINGS))
def test_each_setting_is_the_nano_recipe_with_one_head_choice(name):
    profile = load_profile("nano", SETTINGS[name])
    shipped = load_profile("nano")
    assert profile.sft.lm_head_labelled_only == (name == "labelled_positions")
    assert dataclasses.replace(profile.sft, lm_head_labelled_only=False) == dataclasses.replace(
        shipped.sft, lm_head_labelled_only=False
    )
