"""The fused-head speed benchmark: its summary pairs the runs, its baseline is trl's own choice."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from benchmarks.fused_head_speed import _every_position, summary


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


def test_the_baseline_setting_restores_every_position_and_keeps_it_through_the_builder(
    monkeypatch: pytest.MonkeyPatch,
):
    pytest.importorskip("trl")
    from trl.trainer import utils

    from josi.training import _sft
    from josi.training._fused_head import _DECIDER, projects_every_position

    monkeypatch.setattr(utils, _DECIDER, getattr(utils, _DECIDER))  # restored after the test
    with _every_position():
        _sft.project_labelled_positions_only()  # what the trainer builder calls
        assert projects_every_position("cpu")
    _sft.project_labelled_positions_only()
    assert not projects_every_position("cpu")
