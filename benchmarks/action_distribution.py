"""The interpreter's action distribution on the dataset's validation and held-out splits.

    python -m benchmarks.action_distribution --out benchmarks/results/NAME.json [--gguf PATH]
        [--data DIR] [--splits val test]

Every row of `interpreter.val.jsonl` and `interpreter.test.jsonl` (phrasing groups training
never sees; the gate suites contain neither) is interpreted greedily with the shipped runtime
defaults, and the five action values are scored at the action position
(`Engine.score_continuations`). Reported per split:
- greedy action accuracy next to the expected action accuracy under the shipped interpreter
  sampler (temperature, top-p, top-k, min-p of `RuntimeConfig`, applied to the distribution
  exactly), and the share of fragile rows (expected action below 0.9 under that sampler);
- calibration of both confidence sources against the action being right: the confidence the
  model wrote ("self"; rows without one are left out and counted) and P(chosen action) on the
  grammar's 0.05 steps as the router would be served it ("action_probability"), with their
  reliability tables;
- the raw mass the model puts on the five values' first tokens (what the grammar-renormalised
  distribution leaves out).
The profile's `[runtime] confidence_source` is chosen on the validation split; the held-out
split is the figure reported for it.
"""

from __future__ import annotations

import dataclasses
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks import _heldout as heldout

SPLIT_FILES = {"val": "interpreter.val.jsonl", "test": "interpreter.test.jsonl"}


def score_row(runtime: Any, row: dict[str, Any]) -> dict[str, Any]:
    call = runtime.interpret(row["context"], row["user"], history=row.get("history") or None)
    own = call.parse.request if call.parse.ok else {}
    scores = call.action_scores
    return {
        "id": row["id"],
        "lang": row["lang"],
        "expected": row["expected"]["action"],
        "action": own.get("action"),
        "self_confidence": own.get("confidence"),
        "probs": None if scores is None else {a: round(p, 6) for a, p in scores.grammar().items()},
        "candidate_mass": None if scores is None else round(scores.candidate_mass, 6),
    }


def summarize(scored: list[dict[str, Any]]) -> dict[str, Any]:
    """Greedy vs sampled accuracy, fragile share and both sources' calibration for one split."""
    from josi.contracts import round_confidence
    from josi.evals._action_dist import shipped_interpreter_sampler
    from josi.evals._calibration import (
        expected_accuracy,
        fragile,
        reliability,
        sampler_distribution,
    )

    settings = shipped_interpreter_sampler()
    with_probs = [s for s in scored if s["probs"]]
    p_right = [sampler_distribution(s["probs"], settings)[s["expected"]] for s in with_probs]
    self_pairs = [
        (float(s["self_confidence"]), s["action"] == s["expected"])
        for s in scored
        if s["self_confidence"] is not None
    ]
    prob_pairs = [
        (round_confidence(s["probs"][s["action"]]), s["action"] == s["expected"])
        for s in with_probs
        if s["action"] in s["probs"]
    ]
    greedy = [s["action"] == s["expected"] for s in with_probs]
    argmax = [max(s["probs"], key=s["probs"].get) == s["action"] for s in with_probs]
    masses = [s["candidate_mass"] for s in with_probs]
    return {
        "rows": len(scored),
        "scored": len(with_probs),
        "greedy_action_accuracy": round(statistics.fmean(greedy), 4) if greedy else None,
        "expected_action_accuracy": _round(expected_accuracy(p_right)),
        "fragile_share": _round(statistics.fmean(fragile(p) for p in p_right)) if p_right else None,
        "fragile_right_greedily": sum(
            fragile(p) and ok for p, ok in zip(p_right, greedy, strict=False)
        ),
        "greedy_is_argmax": round(statistics.fmean(argmax), 4) if argmax else None,
        "candidate_mass": {
            "mean": _round(statistics.fmean(masses)) if masses else None,
            "min": _round(min(masses, default=None)),
        },
        "calibration": {
            "self": reliability(self_pairs).to_dict(),
            "action_probability": reliability(prob_pairs).to_dict(),
        },
        "sampler": dataclasses.asdict(settings),
    }


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _measure(gguf: Path, rows: list[dict[str, Any]], threads: int | None) -> list[dict[str, Any]]:
    from josi.runtime import RuntimeConfig

    # "self" serves the model's own number; both sources are read from the same call.
    config = RuntimeConfig(
        gguf=gguf,
        deterministic=True,
        seed=0,
        n_threads=threads,
        score_actions=True,
        confidence_source="self",
    )
    return heldout.measure(config, rows, score_row)


def main(argv: list[str] | None = None) -> int:
    parser = heldout.parser(__doc__)
    parser.add_argument("--splits", nargs="+", choices=sorted(SPLIT_FILES), default=["val", "test"])
    args = parser.parse_args(argv)

    from josi._io import sha256_file

    gguf, data_dir = heldout.model_and_data(
        args.gguf, args.data, out=args.out, split_files=tuple(SPLIT_FILES[s] for s in args.splits)
    )
    started = time.perf_counter()
    results: dict[str, Any] = {
        "model": {"path": str(gguf), "sha256": sha256_file(gguf)},
        "data": {"dir": str(data_dir)},
        "decoding": "greedy (deterministic=True), seed 0, shipped runtime defaults (grammar, "
        "pinned free_text); action distribution scored after each call",
        "outcome": "the model's action equals the expected action",
        "splits": {},
    }
    for split in args.splits:
        rows = heldout.split_rows(data_dir, SPLIT_FILES[split], args.rows)
        scored = _measure(gguf, rows, args.threads)
        summary = summarize(scored)
        results["splits"][split] = {"file": SPLIT_FILES[split], "summary": summary, "rows": scored}
        cal = summary["calibration"]
        print(
            f"{split}: {summary['rows']} rows, greedy {summary['greedy_action_accuracy']} vs "
            f"expected under the shipped sampler {summary['expected_action_accuracy']}, fragile "
            f"{summary['fragile_share']}; ECE self {cal['self']['ece']} (n={cal['self']['n']}), "
            f"P(action) {cal['action_probability']['ece']} (n={cal['action_probability']['n']})",
            file=sys.stderr,
        )
    heldout.write_results(args.out, results, started)
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
