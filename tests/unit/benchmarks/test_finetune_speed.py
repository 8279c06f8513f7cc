"""The fine-tuning speed benchmark's settings are profiles the project accepts."""

from __future__ import annotations

import pytest

from benchmarks.finetune_speed import SETTINGS
from josi.training import load_profile


@pytest.mark.parametrize("name", sorted(SETTINGS))
def test_every_setting_is_a_valid_nano_profile(name):
    profile = load_profile("nano", SETTINGS[name])
    assert profile.sft.full_finetune == name.startswith("full")
