"""Training: profiles, base checkpoints, LoRA SFT and DPO with trl/peft, and run records."""

from __future__ import annotations

from josi.training._base import BASE_MARKER, WHEEL_PREFIX, ensure_base_checkpoint, resolve_gguf
from josi.training._dpo import train_dpo
from josi.training._profile import (
    CONFIDENCE_SOURCES,
    QUANTS,
    UNIFORM_QUANTS,
    Profile,
    load_profile,
    profile_names,
)
from josi.training._sft import build_sft_trainer, train_sft
from josi.training._tracking import read_curve

__all__ = [
    "BASE_MARKER",
    "CONFIDENCE_SOURCES",
    "QUANTS",
    "UNIFORM_QUANTS",
    "WHEEL_PREFIX",
    "Profile",
    "build_sft_trainer",
    "ensure_base_checkpoint",
    "load_profile",
    "profile_names",
    "read_curve",
    "resolve_gguf",
    "train_dpo",
    "train_sft",
]
