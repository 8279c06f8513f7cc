r"""Coach replies compared on the dataset's held-out coach split, paired per row.

    python -m benchmarks.coach_decoding --out benchmarks/results/NAME.json \
        [--gguf PATH] [--data DIR] [--against OTHER.gguf] [--split val]

Every held-out coach row (context, message, interpreter output, history) is answered twice,
greedy: by the same GGUF with the shipped runtime defaults and with the coach DRY penalty off,
or, with ``--against``, by two GGUFs with the shipped defaults (two trainings compared).
Both replies go through the runtime's governor and output guard and are scored
by the same pure scorers the quality suites use (`josi.scorers.coach_checks`). The rows come
from `coach.test.jsonl`, which training never sees and the gate suites do not contain, so
a decoding default chosen here is not chosen on the release gates (--split val: the
validation split, what a recipe is chosen on).

Reported per setting and language: the share of raw model outputs free of n-gram loops, the
share of delivered replies free of them, the share passing every coach check, mean reply
tokens and replies cut off by the token budget; per pair, the flips and an exact McNemar p.
"""

from __future__ import annotations

import dataclasses
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks import _heldout as heldout

SETTINGS = {"shipped": {}, "dry_off": {"coach_dry_multiplier": 0.0}}
MEASURES = ("raw_loop_free", "loop_free", "coach_checks_pass")


def score_row(runtime: Any, row: dict[str, Any]) -> dict[str, Any]:
    from josi.data._coach import outdated_words
    from josi.scorers import all_passed, coach_checks, newer_fact, repetition

    call = runtime.coach(
        row["context"], row["user"], row["interpreter_output"], row["history"] or None
    )
    checks = coach_checks(
        call.text,
        persona=row["persona"],
        lang=row["lang"],
        context_text=row["messages"][-1]["content"],
        memory=row["context"].get("memory"),
        gatc_result=row["context"].get("gatc_result"),
    )
    by_name = {c.name: c for c in checks}
    outdated = outdated_words(row)
    return {
        "raw_loop_free": repetition(call.raw).passed,
        "loop_free": repetition(call.text).passed,
        "coach_checks_pass": all_passed(checks),
        "failed_checks": [c.name for c in checks if not c.passed],
        # The two means the quality and grounding gates hold as absolute bars.
        "warmth": by_name["warmth"].value,
        "references_result": (
            by_name["grounding_use"].passed if row["context"].get("gatc_result") else None
        ),
        # memory_update rows: the reply repeats nothing of the older of two facts
        "follows_newer_fact": (
            newer_fact(call.text, outdated).passed if outdated is not None else None
        ),
        "tokens": call.stats.completion_tokens,
        "hit_budget": call.stats.stopped == "max_tokens",
        "reply": call.text,
    }


def _rate(values: list[bool | None]) -> float | None:
    known = [v for v in values if v is not None]
    return round(statistics.fmean(known), 4) if known else None


def summarize(
    rows: list[dict[str, Any]], results: dict[str, list[dict[str, Any]]]
) -> dict[str, Any]:
    """Rates per setting and language; the first two settings paired row by row."""
    from josi.evals import mcnemar_exact

    first, second = list(results)[:2]

    out: dict[str, Any] = {}
    for lang in ("all", *sorted({r["lang"] for r in rows})):
        picked = [i for i, r in enumerate(rows) if lang == "all" or r["lang"] == lang]
        block: dict[str, Any] = {"rows": len(picked)}
        for name, scored in results.items():
            block[name] = {
                m: round(statistics.fmean(scored[i][m] for i in picked), 4) for m in MEASURES
            }
            block[name]["tokens_mean"] = round(
                statistics.fmean(scored[i]["tokens"] for i in picked), 1
            )
            block[name]["hit_budget"] = sum(scored[i]["hit_budget"] for i in picked)
            block[name]["warmth_mean"] = round(
                statistics.fmean(scored[i]["warmth"] for i in picked), 3
            )
            block[name]["reference_rate"] = _rate([scored[i]["references_result"] for i in picked])
            block[name]["newer_fact_rate"] = _rate(
                [scored[i]["follows_newer_fact"] for i in picked]
            )
            block[name]["newer_fact_rows"] = sum(
                scored[i]["follows_newer_fact"] is not None for i in picked
            )
        a, b = results[first], results[second]
        block["paired"] = {}
        for m in MEASURES:
            gained = sum(1 for i in picked if a[i][m] and not b[i][m])
            lost = sum(1 for i in picked if b[i][m] and not a[i][m])
            block["paired"][m] = {
                f"{first}_only": gained,
                f"{second}_only": lost,
                "mcnemar_p": float(f"{mcnemar_exact(gained, lost):.3g}"),
            }
        out[lang] = block
    return out


def main(argv: list[str] | None = None) -> int:
    parser = heldout.parser(__doc__)
    heldout.add_split_argument(parser)
    parser.add_argument(
        "--against", type=Path, help="a second GGUF answering the same rows in the same run"
    )
    args = parser.parse_args(argv)

    from josi._io import sha256_file
    from josi.runtime import JosiRuntime, RuntimeConfig

    split_file = f"coach.{args.split}.jsonl"
    gguf, data_dir = heldout.model_and_data(
        args.gguf, args.data, out=args.out, split_files=(split_file,), also_read=(args.against,)
    )
    rows = heldout.split_rows(data_dir, split_file, args.rows)
    # Decoding is a property of the model's own replies, so the coach step's fixed code replies
    # (plan changes, unrealistic goals) are off here; benchmarks.coach_contract_replies
    # measures those.
    base = JosiRuntime(
        RuntimeConfig(
            gguf=gguf,
            deterministic=True,
            seed=0,
            n_threads=args.threads,
            coach_contract_replies=False,
        )
    )
    started = time.perf_counter()
    per_setting: dict[str, list[dict[str, Any]]] = {}
    try:
        shipped_dry = base.config.dry("coach")
        settings = {} if args.against else SETTINGS
        for name, changes in settings.items():
            runtime = base.with_config(**changes)
            per_setting[name] = [score_row(runtime, row) for row in rows]
            print(f"{name}: {len(rows)} replies", file=sys.stderr)
        if args.against:
            per_setting["model"] = [score_row(base, row) for row in rows]
    finally:
        base.close()
    if args.against:
        other = JosiRuntime(
            dataclasses.replace(
                base.config, gguf=args.against, prompt_style=None, confidence_source=None
            )
        )
        try:
            per_setting["against"] = [score_row(other, row) for row in rows]
        finally:
            other.close()
    described = {"dry": dataclasses.asdict(shipped_dry) if shipped_dry else None}
    results = {
        "model": {"path": str(gguf), "sha256": sha256_file(gguf)},
        **(
            {"against": {"path": str(args.against), "sha256": sha256_file(args.against)}}
            if args.against
            else {}
        ),
        "data": {"dir": str(data_dir), "file": split_file, "rows": len(rows)},
        "settings": (
            {"model": described, "against": described}
            if args.against
            else {"shipped": described, "dry_off": {"dry": None}}
        ),
        "decoding": "greedy (deterministic=True), seed 0; replies governed and guarded as served",
        "summary": summarize(rows, per_setting),
        "rows": [
            {
                "id": row["id"],
                "lang": row["lang"],
                **{name: per_setting[name][i] for name in per_setting},
            }
            for i, row in enumerate(rows)
        ],
    }
    heldout.write_results(args.out, results, started)
    summary = results["summary"]["all"]
    for name in per_setting:
        print(f"{name}: " + ", ".join(f"{m} {summary[name][m]}" for m in MEASURES), file=sys.stderr)
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
