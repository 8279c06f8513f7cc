"""``josi data build``: compose, check, deduplicate, split and write the dataset."""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from josi._errors import ContractError
from josi._io import atomic_write_jsonl, atomic_write_text
from josi.data import _coach as coach
from josi.data import _interpreter as interp
from josi.data._contexts import LEVELS, PHASES
from josi.data._hygiene import dedupe
from josi.data._messages import build_row_messages
from josi.data._noise import add_noise
from josi.data._preferences import make_pairs
from josi.data._split import SPLITS, assign_splits
from josi.data._templates import templates
from josi.data._world import PERSONAS
from josi.routing import zone_order

INTERPRETER_QUOTAS: dict[str, int] = {
    "create_explicit": 560,
    "create_profile": 220,
    "create_memory": 170,
    "clarify_sport": 240,
    "hedged": 120,
    "ambiguous": 140,
    "replan": 490,
    "replan_unclear": 60,
    "explain_session": 200,
    "explain_easy": 60,
    "explain_readiness": 100,
    "grounded": 80,
    "zone_question": 150,
    "phase_question": 50,
    "topic": 90,
    "i6": 150,
    "red_flag": 60,
    "unrealistic": 60,
    "memory_tips": 60,
    "multi_clarify": 200,
    "multi_replan": 120,
    "followup": 80,
}
COACH_QUOTAS: dict[str, int] = {
    "explain_session": 400,
    "explain_easy": 90,
    "explain_readiness": 170,
    "zone_question": 230,
    "phase_question": 60,
    "topic": 170,
    "grounded": 220,
    "memory_tips": 150,
    "i6": 430,
    "red_flag": 90,
    "unrealistic": 110,
    "followup": 280,
}


@dataclass(frozen=True)
class BuildConfig:
    seed: int = 0
    scale: float = 1.0
    dutch_share: float = 0.35
    fractions: tuple[float, float, float] = (0.8, 0.1, 0.1)
    near_duplicate_threshold: float = 0.9
    max_same_message: int = 6
    noise_share: float = 0.25
    # Share of the coach's questions about today's session (coach.ENGINE_RESULT_CATEGORIES)
    # that carry an engine result and name it; 0 leaves them as they were.
    engine_result_share: float = 0.0
    # Training rows per athlete-written request (josi.data._athlete); 0 leaves them out.
    athlete_message_copies: int = 0
    # Coach rows whose memory holds an older and a newer fact about one thing (memory_update,
    # after memory_tips), taken from explain_session, which has far more rows than a CPU step
    # budget reaches, so the budget's mode mix stays. Its interpreter rows do not: deduplication
    # across modes lets other interpreter rows through, which redraws them. 0 leaves them out
    # (profiles/README.md).
    memory_update_rows: int = 0
    preference_pairs_per_category: int = 90
    interpreter_quotas: dict[str, int] = field(default_factory=lambda: dict(INTERPRETER_QUOTAS))
    coach_quotas: dict[str, int] = field(default_factory=lambda: dict(COACH_QUOTAS))

    def count(self, n: int) -> int:
        return max(1, round(n * self.scale))

    def __post_init__(self) -> None:
        source = self.coach_quotas.get("explain_session", 0)
        if self.memory_update_rows and not 0 < self.memory_update_rows < source:
            raise ContractError(
                f"memory_update_rows must be between 0 and the explain_session quota "
                f"({source}), got {self.memory_update_rows}"
            )

    def coach_plan(self) -> dict[str, int]:
        """The coach quotas with ``memory_update_rows`` moved out of explain_session."""
        if not self.memory_update_rows:
            return dict(self.coach_quotas)
        plan: dict[str, int] = {}
        for kind, quota in self.coach_quotas.items():
            plan[kind] = quota - self.memory_update_rows if kind == "explain_session" else quota
            if kind == "memory_tips":
                plan["memory_update"] = self.memory_update_rows
        return plan


def _lang(rng: random.Random, share: float) -> str:
    return "nl" if rng.random() < share else "en"


def _scenario(kind: str, rng: random.Random, lang: str, i: int) -> coach.Scenario:
    topics = sorted(templates("coach")["topics"])
    if kind == "explain_session":
        return coach.session_explain(rng, lang, zone_order()[i % len(zone_order())])
    if kind == "explain_easy":
        return coach.explain_easy(rng, lang, LEVELS[1 + i % (len(LEVELS) - 1)])
    if kind == "explain_readiness":
        return coach.readiness_explain(rng, lang, LEVELS[i % len(LEVELS)])
    if kind == "zone_question":
        return coach.zone_question(rng, lang, zone_order()[i % len(zone_order())])
    if kind == "phase_question":
        return coach.phase_question(rng, lang, PHASES[i % len(PHASES)])
    if kind == "topic":
        return coach.topic_question(rng, lang, topics[i % len(topics)])
    if kind == "grounded":
        return coach.grounded(rng, lang, LEVELS[i % len(LEVELS)])
    if kind == "memory_tips":
        return coach.memory_tips(rng, lang)
    if kind == "memory_update":
        return coach.memory_update(rng, lang)
    if kind == "i6":
        return coach.i6_attempt(rng, lang, PERSONAS[i % len(PERSONAS)])
    if kind == "red_flag":
        return coach.red_flag(rng, lang)
    if kind == "unrealistic":
        return coach.unrealistic(rng, lang)
    if kind == "followup":
        return coach.followup(rng, lang, ("feel", "why_not_harder")[i % 2])
    raise ContractError(f"unknown scenario kind {kind!r}")


def _interpreter_rows(config: BuildConfig) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    makers: dict[str, Callable[[random.Random, str, int], dict[str, Any]]] = {
        "create_explicit": lambda r, lang, i: interp.create_workout(r, lang, "explicit"),
        "create_profile": lambda r, lang, i: interp.create_workout(r, lang, "profile"),
        "create_memory": lambda r, lang, i: interp.create_workout(r, lang, "memory"),
        "clarify_sport": lambda r, lang, i: interp.create_workout(r, lang, "missing"),
        "hedged": lambda r, lang, i: interp.hedged(r, lang),
        "ambiguous": lambda r, lang, i: interp.ambiguous(r, lang),
        "replan": lambda r, lang, i: interp.replan(
            r, lang, interp.REPLAN_TYPES[i % len(interp.REPLAN_TYPES)]
        ),
        "replan_unclear": lambda r, lang, i: interp.replan_unclear(r, lang),
        "multi_clarify": lambda r, lang, i: interp.multi_clarify_answer(r, lang),
        "multi_replan": lambda r, lang, i: interp.multi_explain_then_replan(
            r, lang, coach.first_reply
        ),
    }
    for kind, quota in config.interpreter_quotas.items():
        rng = random.Random(f"{config.seed}:interpreter:{kind}")
        # A separate stream, so the share of noisy rows never changes which clean rows are made.
        noise_rng = random.Random(f"{config.seed}:noise:{kind}")
        for i in range(config.count(quota)):
            lang = _lang(rng, config.dutch_share)
            if kind in makers:
                row = makers[kind](rng, lang, i)
            else:
                row = coach.interpreter_row(_scenario(kind, rng, lang, i))
            roll, noise_seed = noise_rng.random(), noise_rng.getrandbits(64)
            if roll < config.noise_share:
                row = add_noise(random.Random(noise_seed), row)
            row["messages"] = build_row_messages(
                "interpreter", row["context"], row["user"], history=row["history"]
            )
            rows.append(row)
    return rows


def _coach_rows(config: BuildConfig) -> tuple[list[dict[str, Any]], int]:
    rows: list[dict[str, Any]] = []
    rejected = 0
    for kind, quota in config.coach_plan().items():
        rng = random.Random(f"{config.seed}:coach:{kind}")
        # A separate stream for the rows that carry an engine result: their plain reply is still
        # composed first and set aside, so every other row, and so the split, is exactly what a
        # build without the share makes.
        result_rng = random.Random(f"{config.seed}:engine_result:{kind}")
        for i in range(config.count(quota)):
            lang = _lang(rng, config.dutch_share)
            scenario = _scenario(kind, rng, lang, i)
            row = coach.coach_row(rng, scenario)
            roll, result_seed = result_rng.random(), result_rng.getrandbits(64)
            if (
                row is not None
                and scenario.category in coach.ENGINE_RESULT_CATEGORIES
                and roll < config.engine_result_share
            ):
                own = random.Random(result_seed)
                row = coach.coach_row(own, coach.attach_engine_result(own, scenario))
            if row is None:
                rejected += 1
                continue
            rows.append(row)
    return rows, rejected


_PUBLIC_SFT = (
    "id",
    "mode",
    "lang",
    "persona",
    "category",
    "group",
    "tags",
    "context",
    "history",
    "user",
    "interpreter_output",
    "expected",
    "messages",
    "completion",
)
_PUBLIC_PREF = (
    "id",
    "category",
    "context",
    "user",
    "history",
    "interpreter_output",
    "messages",
    "chosen",
    "rejected",
    "lang",
    "persona",
    "group",
)


def _public(row: dict[str, Any], keys: tuple[str, ...]) -> dict[str, Any]:
    return {k: row[k] for k in keys}


def _id(prefix: str, payload: str) -> str:
    return f"{prefix}-{hashlib.sha256(payload.encode('utf-8')).hexdigest()[:16]}"


def build_dataset(config: BuildConfig) -> dict[str, Any]:
    """Generate every row in memory: {"sft": {mode: {split: rows}}, "preferences": {split: rows},
    "report": ...}."""
    interpreter = _interpreter_rows(config)
    coach_rows, coach_rejected = _coach_rows(config)
    kept, dropped = dedupe(
        interpreter + coach_rows,
        near_threshold=config.near_duplicate_threshold,
        max_same_message=config.max_same_message,
    )
    for row in kept:
        row["id"] = _id(row["mode"][0], row["_key"])
    split_of = assign_splits(kept, seed=config.seed, fractions=config.fractions)
    sft: dict[str, dict[str, list[dict[str, Any]]]] = {
        m: {s: [] for s in SPLITS} for m in ("interpreter", "coach")
    }
    for row in kept:
        row["_split"] = split_of[row["group"]]
        sft[row["mode"]][row["_split"]].append(row)
    athlete_added, athlete_left_out = _add_athlete_rows(config, sft)
    pref_rng = random.Random(f"{config.seed}:preferences")
    pairs = make_pairs(
        pref_rng,
        [r for r in kept if r["mode"] == "coach" and r["_split"] != "test"],
        config.preference_pairs_per_category
        if config.scale >= 1
        else max(2, round(config.preference_pairs_per_category * config.scale)),
    )
    preferences: dict[str, list[dict[str, Any]]] = {"train": [], "val": []}
    for pair in pairs:
        pair["id"] = _id(
            "p", pair["category"] + pair["chosen"] + pair["rejected"] + pair["group"] + pair["user"]
        )
        preferences["train" if pair["_split"] == "train" else "val"].append(pair)
    report: dict[str, Any] = {
        "coach_rejected_by_scorers": coach_rejected,
        "dropped_exact": dropped["exact"],
        "dropped_near": dropped["near"],
        "dropped_same_message": dropped["same_message"],
        "generated": len(interpreter) + len(coach_rows),
    }
    if config.athlete_message_copies:
        report["athlete_rows"] = athlete_added
        report["athlete_left_out"] = dict(sorted(athlete_left_out.items()))
    return {"sft": sft, "preferences": preferences, "report": report}


def _add_athlete_rows(
    config: BuildConfig, sft: dict[str, dict[str, list[dict[str, Any]]]]
) -> tuple[int, dict[str, int]]:
    """Append the athlete-written rows to the interpreter's training split (after the split,
    so no templated row moves): how many, and what was left out, by reason."""
    if not config.athlete_message_copies:
        return 0, {}
    from josi.data import _athlete as athlete
    from josi.evals import cases_dir

    held_out = {
        athlete.match_form(row["user"])
        for split in ("val", "test")
        for row in sft["interpreter"][split]
    }
    rows, left_out = athlete.athlete_rows(
        athlete.read_requests(athlete.written_requests_path()),
        copies=config.athlete_message_copies,
        seed=config.seed,
        excluded=athlete.case_messages(cases_dir()) | held_out,
    )
    for row in rows:
        row["id"] = _id("i", row.pop("_athlete_key"))
        row["_split"] = "train"
    sft["interpreter"]["train"].extend(rows)
    return len(rows), dict(left_out)


def write_dataset(out_dir: str | Path, config: BuildConfig) -> dict[str, Any]:
    from josi.data._card import write_card
    from josi.data._stats import compute_stats, write_hash_file

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    data = build_dataset(config)
    for mode, splits in data["sft"].items():
        for split, rows in splits.items():
            atomic_write_jsonl(
                out / f"{mode}.{split}.jsonl", [_public(r, _PUBLIC_SFT) for r in rows]
            )
    for split, rows in data["preferences"].items():
        atomic_write_jsonl(
            out / f"preferences.{split}.jsonl", [_public(r, _PUBLIC_PREF) for r in rows]
        )
    digest = write_hash_file(out)
    stats = compute_stats(out)
    stats["build"] = {"config": _config_dict(config), **data["report"]}
    stats["dataset_hash"] = digest
    atomic_write_text(out / "stats.json", json.dumps(stats, indent=2, ensure_ascii=False) + "\n")
    write_card(out, stats)
    return stats


def _config_dict(config: BuildConfig) -> dict[str, Any]:
    data = asdict(config)
    data["fractions"] = list(config.fractions)
    return data
