"""Group-aware, stratified train/val/test split: a phrasing group never crosses splits."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

SPLITS = ("train", "val", "test")


def _stratum(row: dict[str, Any]) -> str:
    return f"{row['category']}:{row['lang']}"


def assign_splits(
    rows: Sequence[dict[str, Any]], *, seed: int, fractions: tuple[float, float, float]
) -> dict[str, str]:
    """Map each group to a split. Groups are placed per stratum (category x language),
    largest first, into the split furthest below its target share."""
    sizes: dict[str, int] = defaultdict(int)
    stratum_of: dict[str, str] = {}
    for row in rows:
        sizes[row["group"]] += 1
        stratum_of.setdefault(row["group"], _stratum(row))
    by_stratum: dict[str, list[str]] = defaultdict(list)
    for group in sorted(sizes):
        by_stratum[stratum_of[group]].append(group)
    out: dict[str, str] = {}
    for stratum in sorted(by_stratum):
        groups = by_stratum[stratum]

        def order(g: str) -> tuple[int, str]:
            return (-sizes[g], hashlib.sha256(f"{seed}:{g}".encode()).hexdigest())

        groups.sort(key=order)
        total = sum(sizes[g] for g in groups)
        filled = dict.fromkeys(SPLITS, 0)
        if len(groups) < 3:
            for g in groups:
                out[g] = "train"
            continue
        # Seed val and test with one group each so small strata are still represented.
        smallest = sorted(groups, key=lambda g: (sizes[g], order(g)[1]))
        for split, g in zip(("test", "val"), smallest[:2], strict=False):
            out[g] = split
            filled[split] += sizes[g]
        for g in groups:
            if g in out:
                continue
            deficit = {s: fractions[i] * total - filled[s] for i, s in enumerate(SPLITS)}
            split = max(SPLITS, key=lambda s: (deficit[s], -SPLITS.index(s)))
            out[g] = split
            filled[split] += sizes[g]
    return out
