"""Shared test helpers: load case files from fixtures/."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from josi._io import read_jsonl

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


def load_cases(relative: str) -> list[dict[str, Any]]:
    cases = read_jsonl(FIXTURES / relative)
    ids = [case["id"] for case in cases]
    duplicates = {i for i in ids if ids.count(i) > 1}
    if duplicates:
        raise ValueError(f"{relative}: duplicate case ids {sorted(duplicates)}")
    return cases
