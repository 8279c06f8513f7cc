"""The fine-tuning speed benchmarks' settings are profiles the project accepts."""

from __future__ import annotations

import pytest

from benchmarks.batch_shape_speed import TRAIN
from benchmarks.finetune_speed import SETTINGS, chosen_settings, in_rotation
from josi.training import load_profile


@pytest.mark.parametrize("name", sorted(SETTINGS))
def test_every_setting_is_a_valid_nano_profile(name):
    profile = load_profile("nano", SETTINGS[name])
    assert profile.sft.full_finetune == name.startswith("full")


@pytest.mark.parametrize("name", sorted(TRAIN))
def test_every_batch_shape_makes_updates_of_four_rows(name):
    sft = load_profile("nano", TRAIN[name]).sft
    assert sft.batch_size * sft.grad_accum == 4


def test_settings_run_in_rotation_and_every_run_is_saved():
    order, saved = [], []

    def run(overrides):
        order.append(overrides[0])
        return {"n": len(order)}

    runs = in_rotation(
        {"a": ["x"], "b": ["y"]}, 2, run, lambda r: saved.append(sum(map(len, r.values())))
    )
    assert order == ["x", "y", "x", "y"]
    assert runs == {"a": [{"n": 1}, {"n": 3}], "b": [{"n": 2}, {"n": 4}]}
    assert saved == [1, 2, 3, 4]


def test_settings_can_be_chosen_by_name_in_the_benchmarks_order():
    assert list(chosen_settings(SETTINGS, "full_float32,full_bf16_autocast")) == [
        "full_bf16_autocast",
        "full_float32",
    ]
    assert chosen_settings(SETTINGS, None) is SETTINGS


@pytest.mark.parametrize("names", ["full_fp8", ",", "lora_bf16,nope"])
def test_an_unknown_setting_is_refused_with_the_known_ones(names):
    with pytest.raises(SystemExit, match="choose from") as caught:
        chosen_settings(SETTINGS, names)
    assert "\n" not in str(caught.value)
