"""Counts, ratios, length summaries and the dataset hash of a built dataset folder."""

from __future__ import annotations

import hashlib
import json
import math
from collections import Counter
from pathlib import Path
from typing import Any

from josi._errors import ContractError
from josi._io import atomic_write_text, read_jsonl, sha256_file
from josi._stamp import DATASET_LINE, HASH_FILE, hash_line
from josi.data._split import SPLITS

SFT_MODES = ("interpreter", "coach")
PREF_SPLITS = ("train", "val")


def data_files(directory: str | Path) -> list[Path]:
    base = Path(directory)
    names = [f"{m}.{s}.jsonl" for m in SFT_MODES for s in SPLITS] + [
        f"preferences.{s}.jsonl" for s in PREF_SPLITS
    ]
    missing = [n for n in names if not (base / n).is_file()]
    if missing:
        raise ContractError(
            f"{base} is not a built dataset: missing {missing} (run `josi data build`)"
        )
    return [base / n for n in names]


def _file_lines(directory: str | Path) -> list[str]:
    return [hash_line(sha256_file(p), p.name) for p in data_files(directory)]


def _digest(lines: list[str]) -> str:
    return hashlib.sha256("\n".join(lines).encode("utf-8")).hexdigest()


def dataset_hash(directory: str | Path) -> str:
    """sha256 over the names and sha256 of every JSONL file, in a fixed order."""
    return _digest(_file_lines(directory))


def write_hash_file(directory: str | Path) -> str:
    lines = _file_lines(directory)
    digest = _digest(lines)
    atomic_write_text(
        Path(directory) / HASH_FILE, "\n".join([*lines, hash_line(digest, DATASET_LINE)]) + "\n"
    )
    return digest


def approx_tokens(text: str) -> int:
    """Rough token count: UTF-8 bytes / 4 (SmolLM2 English prose; Dutch and JSON run higher)."""
    return math.ceil(len(text.encode("utf-8")) / 4)


def _summary(values: list[int]) -> dict[str, int]:
    if not values:
        return {"min": 0, "median": 0, "p95": 0, "max": 0, "mean": 0}
    ordered = sorted(values)
    return {
        "min": ordered[0],
        "median": ordered[len(ordered) // 2],
        "p95": ordered[min(len(ordered) - 1, math.ceil(0.95 * len(ordered)) - 1)],
        "max": ordered[-1],
        "mean": round(sum(ordered) / len(ordered)),
    }


def _sorted(counter: Counter) -> dict[str, int]:
    return {k: counter[k] for k in sorted(counter)}


def compute_stats(directory: str | Path) -> dict[str, Any]:
    base = Path(directory)
    data_files(base)
    out: dict[str, Any] = {"modes": {}, "preferences": {}}
    for mode in SFT_MODES:
        rows_by_split = {s: read_jsonl(base / f"{mode}.{s}.jsonl") for s in SPLITS}
        rows = [r for s in SPLITS for r in rows_by_split[s]]
        actions = Counter(
            (
                r["expected"]["action"]
                if r["expected"]
                else json.loads(r["interpreter_output"])["action"]
            )
            for r in rows
        )
        tags = Counter(t for r in rows for t in r["tags"])
        total = len(rows) or 1
        prompt = [approx_tokens("".join(m["content"] for m in r["messages"])) for r in rows]
        prompt_no_system = [
            approx_tokens("".join(m["content"] for m in r["messages"] if m["role"] != "system"))
            for r in rows
        ]
        completion = [approx_tokens(r["completion"]) for r in rows]
        words = [len(r["completion"].split()) for r in rows]
        entry: dict[str, Any] = {
            "rows": len(rows),
            "splits": {s: len(rows_by_split[s]) for s in SPLITS},
            "action": _sorted(actions),
            "lang": _sorted(Counter(r["lang"] for r in rows)),
            "persona": _sorted(Counter(r["persona"] for r in rows)),
            "category": _sorted(Counter(r["category"] for r in rows)),
            "tier": _sorted(Counter(r["context"]["tier"] for r in rows)),
            "tags": _sorted(tags),
            "ratios": {
                "dutch": round(sum(r["lang"] == "nl" for r in rows) / total, 4),
                "multi_turn": round(sum(bool(r["history"]) for r in rows) / total, 4),
                "memory": round(sum("memory" in r["context"] for r in rows) / total, 4),
                "i6_refusal": round(sum(r["category"] == "i6_refusal" for r in rows) / total, 4),
            },
            "groups": len({r["group"] for r in rows}),
            "approx_tokens": {
                "prompt": _summary(prompt),
                "prompt_without_system": _summary(prompt_no_system),
                "completion": _summary(completion),
            },
            "completion_words": _summary(words),
        }
        if mode == "interpreter":
            entry["replan_type"] = _sorted(
                Counter(
                    r["expected"].get("replan_type")
                    for r in rows
                    if r["expected"]["action"] == "replan"
                )
            )
            entry["confidence"] = _sorted(
                Counter(str(r["expected"].get("confidence")) for r in rows)
            )
        else:
            entry["zone"] = _sorted(
                Counter(t for r in rows for t in r["tags"] if t.startswith("zone_"))
            )
        out["modes"][mode] = entry
    for split in PREF_SPLITS:
        rows = read_jsonl(base / f"preferences.{split}.jsonl")
        out["preferences"][split] = {
            "rows": len(rows),
            "category": _sorted(Counter(r["category"] for r in rows)),
            "lang": _sorted(Counter(r["lang"] for r in rows)),
        }
    out["dataset_hash"] = dataset_hash(base)
    return out


def format_stats(stats: dict[str, Any]) -> str:
    """A plain-text table for the terminal."""
    lines: list[str] = []
    for mode, entry in stats["modes"].items():
        sp = entry["splits"]
        lines.append(
            f"== {mode}: {entry['rows']} rows "
            f"(train {sp['train']} / val {sp['val']} / test {sp['test']}),"
            f" {entry['groups']} phrasing groups"
        )
        for key in ("action", "lang", "persona", "tier", "category") + (
            ("replan_type", "confidence") if mode == "interpreter" else ("zone",)
        ):
            values = ", ".join(f"{k}={v}" for k, v in entry[key].items())
            lines.append(f"  {key:<12} {values}")
        ratios = ", ".join(f"{k}={v:.1%}" for k, v in entry["ratios"].items())
        lines.append(f"  {'ratios':<12} {ratios}")
        for part, summary in entry["approx_tokens"].items():
            lines.append(
                f"  {'tokens~':<12} {part}: " + ", ".join(f"{k}={v}" for k, v in summary.items())
            )
        lines.append(
            f"  {'words':<12} completion: "
            + ", ".join(f"{k}={v}" for k, v in entry["completion_words"].items())
        )
    for split, entry in stats["preferences"].items():
        values = ", ".join(f"{k}={v}" for k, v in entry["category"].items())
        lines.append(f"== preferences.{split}: {entry['rows']} pairs ({values})")
    lines.append(f"dataset hash: {stats['dataset_hash']}")
    return "\n".join(lines)
