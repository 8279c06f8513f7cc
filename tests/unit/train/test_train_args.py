"""The trainer arguments SFT and DPO share come from each stage's own profile section."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from josi.training import load_profile
from josi.training._trainer_args import trainer_args

_OWN = (
    "learning_rate",
    "max_steps",
    "max_length",
    "eval_steps",
    "save_steps",
    "save_total_limit",
    "logging_steps",
    "seed",
    "gradient_checkpointing",
)


def test_each_stage_reads_its_own_section(tmp_path: Path) -> None:
    profile = load_profile(
        "nano",
        [
            "dpo.save_total_limit=1",
            "dpo.logging_steps=7",
            "dpo.gradient_checkpointing=true",
            "dpo.max_steps=9",
        ],
    )
    sft = trainer_args(profile, profile.sft, tmp_path, run_name="sft", on_gpu=False)
    dpo = trainer_args(profile, profile.dpo, tmp_path, run_name="dpo", on_gpu=False)
    assert [dpo[key] for key in _OWN] == [5e-7, 9, 768, 35, 35, 1, 7, 0, True]
    assert [sft[key] for key in _OWN] == [getattr(profile.sft, key) for key in _OWN]
    assert [dpo[key] for key in _OWN] != [sft[key] for key in _OWN]


def test_the_shared_arguments_exist_in_both_trl_configs(tmp_path: Path) -> None:
    trl = pytest.importorskip("trl")
    profile = load_profile("nano")
    shared = set(trainer_args(profile, profile.sft, tmp_path, run_name="x", on_gpu=False))
    for config in (trl.SFTConfig, trl.DPOConfig):
        assert shared - {field.name for field in dataclasses.fields(config)} == set(), (
            config.__name__
        )


@pytest.mark.parametrize(("on_gpu", "want"), [(False, 1), (True, 4)], ids=["cpu", "gpu"])
def test_validation_batches_are_unpadded_rows_on_cpu(
    tmp_path: Path, on_gpu: bool, want: int
) -> None:
    profile = load_profile("nano", ["sft.batch_size=4"])
    args = trainer_args(profile, profile.sft, tmp_path, run_name="sft", on_gpu=on_gpu)
    assert args["per_device_train_batch_size"] == 4
    assert args["per_device_eval_batch_size"] == want
