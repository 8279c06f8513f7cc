"""A tiny synthetic prompt-completion dataset in the `josi data build` layout."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from josi._io import atomic_write_jsonl

SPORTS = ("run", "bike", "ski", "strength")


def number_format() -> list[str]:
    """The profile override these tests train with: none, or float32 where bfloat16 runs through
    torch's reference kernels (a CPU without AVX-512 BF16 or AMX), where float32 measured 8x
    faster. What the tests check does not depend on the number format."""
    from josi.pipeline._build import bfloat16_is_slow_here

    return ["model.dtype=float32"] if bfloat16_is_slow_here() else []


def _context(rng: random.Random, i: int) -> dict:
    return {
        "athlete_id": f"a{i}",
        "tier": "coach",
        "persona_id": "balanced",
        "today": "2026-03-0" + str(1 + i % 9),
        "readiness": {"state": "Productive", "level": rng.choice(("Green", "Yellow", "Orange"))},
    }


def write_dataset(
    out: Path, *, n_train: int = 12, n_val: int = 4, seed: int = 0, long_rows: int = 0
) -> Path:
    """interpreter/coach train+val files; ``long_rows`` extra rows are far longer than the rest."""
    rng = random.Random(seed)

    def interpreter(i: int, long: bool = False) -> dict:
        sport, minutes = SPORTS[i % 4], (30, 45, 60)[i % 3]
        user = f"{minutes} min {sport} today?" + (
            " Also," + " tell me more about pacing" * 60 if long else ""
        )
        target = {
            "action": "create_workout",
            "free_text": user,
            "sport": sport,
            "time_available_min": minutes,
            "confidence": 0.9,
        }
        return {
            "id": f"i{i}",
            "mode": "interpreter",
            "lang": "en",
            "persona": "balanced",
            "category": "create",
            "group": f"gi{i}",
            "tags": [],
            "context": _context(rng, i),
            "history": [],
            "user": user,
            "interpreter_output": None,
            "expected": target,
            "messages": [],
            "completion": json.dumps(target, separators=(",", ":")),
        }

    def coach(i: int) -> dict:
        return {
            "id": f"c{i}",
            "mode": "coach",
            "lang": "en",
            "persona": "balanced",
            "category": "explain",
            "group": f"gc{i}",
            "tags": [],
            "context": _context(rng, i),
            "history": [],
            "user": "Why is today easy?",
            "expected": None,
            "messages": [],
            "interpreter_output": (
                '{"action":"explain","free_text":"Why is today easy?",'
                '"question":"Why is today easy?"}'
            ),
            "completion": "Your body is still absorbing the last hard days, so today stays easy.",
        }

    for split, n in (("train", n_train), ("val", n_val)):
        rows_i = [interpreter(i) for i in range(n)]
        if split == "train":
            rows_i += [interpreter(1000 + i, long=True) for i in range(long_rows)]
        atomic_write_jsonl(out / f"interpreter.{split}.jsonl", rows_i)
        atomic_write_jsonl(out / f"coach.{split}.jsonl", [coach(i) for i in range(n)])
    return out


@pytest.fixture
def tiny_data(tmp_path: Path) -> Path:
    return write_dataset(tmp_path / "data")
