"""Exact and near-duplicate control (canonical hashes and MinHash over word shingles)."""

from __future__ import annotations

import hashlib
import json
import random
import re
import zlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

_MERSENNE = (1 << 61) - 1
_SPACE = re.compile(r"\s+")


def canonical_text(text: str) -> str:
    return _SPACE.sub(" ", text.replace("’", "'")).strip().casefold()


def row_key(row: dict[str, Any]) -> str:
    """Hash of everything the model sees and must produce (whitespace and case folded)."""
    visible = [m["content"] for m in row["messages"] if m["role"] != "system"]
    payload = json.dumps(
        [row["mode"], [canonical_text(v) for v in visible], canonical_text(row["completion"])],
        ensure_ascii=False,
    )
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def near_text(row: dict[str, Any]) -> str:
    """Coach rows compare message and reply; interpreter rows also the context lines,
    because the same message maps to different targets in different contexts."""
    history = " ".join(t["message"] for t in row.get("history") or ())
    if row["mode"] == "interpreter":
        visible = " ".join(m["content"] for m in row["messages"] if m["role"] != "system")
        return canonical_text(f"{history} {visible} || {row['completion']}")
    return canonical_text(f"{history} {row['user']} || {row['completion']}")


def shingles(text: str, n: int = 3) -> set[int]:
    tokens = re.findall(r"\w+", text)
    if len(tokens) < n:
        grams = [" ".join(tokens)] if tokens else [""]
    else:
        grams = [" ".join(tokens[i : i + n]) for i in range(len(tokens) - n + 1)]
    return {zlib.crc32(g.encode("utf-8")) for g in grams}


def jaccard(a: set[int], b: set[int]) -> float:
    if not a and not b:
        return 1.0
    return len(a & b) / len(a | b)


class MinHashIndex:
    """LSH over MinHash signatures; candidates are confirmed with exact Jaccard."""

    def __init__(self, *, perms: int = 32, bands: int = 8, seed: int = 1) -> None:
        rng = random.Random(f"minhash:{seed}")
        self._coeffs = [
            (rng.randrange(1, _MERSENNE), rng.randrange(0, _MERSENNE)) for _ in range(perms)
        ]
        self._bands = bands
        self._rows = perms // bands
        self._buckets: dict[tuple[int, tuple[int, ...]], list[int]] = defaultdict(list)
        self._sets: list[set[int]] = []

    def signature(self, items: set[int]) -> list[int]:
        values = items or {0}
        return [min((a * x + b) % _MERSENNE for x in values) for a, b in self._coeffs]

    def query_add(self, items: set[int], threshold: float) -> int | None:
        """Index ``items``; return the first earlier entry at or above ``threshold`` (not added
        then)."""
        sig = self.signature(items)
        keys = [
            (band, tuple(sig[band * self._rows : (band + 1) * self._rows]))
            for band in range(self._bands)
        ]
        seen: set[int] = set()
        for key in keys:
            for other in self._buckets.get(key, ()):
                if other in seen:
                    continue
                seen.add(other)
                if jaccard(items, self._sets[other]) >= threshold:
                    return other
        index = len(self._sets)
        self._sets.append(items)
        for key in keys:
            self._buckets[key].append(index)
        return None


def dedupe(
    rows: Sequence[dict[str, Any]], *, near_threshold: float, max_same_message: int
) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """Drop exact duplicates, over-used message->output mappings, then near duplicates (per mode).

    The first occurrence is kept, so the result depends only on the generation order.
    """
    kept: list[dict[str, Any]] = []
    exact: set[str] = set()
    same_message: dict[tuple[str, str, str], int] = defaultdict(int)
    indexes: dict[str, MinHashIndex] = {}
    dropped = {"exact": 0, "near": 0, "same_message": 0}
    for row in rows:
        key = row_key(row)
        if key in exact:
            dropped["exact"] += 1
            continue
        message = (row["mode"], canonical_text(row["user"]), canonical_text(row["completion"]))
        if same_message[message] >= max_same_message:
            dropped["same_message"] += 1
            continue
        index = indexes.setdefault(row["mode"], MinHashIndex())
        if index.query_add(shingles(near_text(row)), near_threshold) is not None:
            dropped["near"] += 1
            continue
        exact.add(key)
        same_message[message] += 1
        row["_key"] = key
        kept.append(row)
    return kept, dropped


def duplicate_keys(rows: Iterable[dict[str, Any]]) -> list[str]:
    seen: set[str] = set()
    dupes = []
    for row in rows:
        key = row_key(row)
        if key in seen:
            dupes.append(key)
        seen.add(key)
    return dupes
