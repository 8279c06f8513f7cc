"""Reading a built dataset back."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from josi._errors import ContractError
from josi._io import read_jsonl

MODES = ("interpreter", "coach", "preferences")


def load_split(directory: str | Path, mode: str, split: str) -> list[dict[str, Any]]:
    """Rows of ``{mode}.{split}.jsonl`` (mode interpreter, coach or preferences)."""
    if mode not in MODES:
        raise ContractError(f"mode must be one of {MODES}, got {mode!r}")
    allowed = ("train", "val") if mode == "preferences" else ("train", "val", "test")
    if split not in allowed:
        raise ContractError(f"split for {mode} must be one of {allowed}, got {split!r}")
    path = Path(directory) / f"{mode}.{split}.jsonl"
    if not path.is_file():
        raise ContractError(
            f"{path} does not exist; build the dataset with `josi data build --out {directory}`"
        )
    return read_jsonl(path)
