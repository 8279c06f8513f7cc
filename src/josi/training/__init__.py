"""Training: profiles, base checkpoints, SFT and DPO with trl/peft, and run records."""

from __future__ import annotations

from josi.training._base import ensure_base_checkpoint
from josi.training._profile import Profile, load_profile, profile_names

__all__ = ["Profile", "ensure_base_checkpoint", "load_profile", "profile_names"]
