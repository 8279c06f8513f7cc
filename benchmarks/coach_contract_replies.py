r"""The coach step's code replies (plan changes, unrealistic goals) on the dataset's held-out split.

    python -m benchmarks.coach_contract_replies --out benchmarks/results/NAME.json \
        [--gguf PATH] [--data DIR]

Two measurements, both on rows training never sees and the gate suites do not contain:
- detection: ``josi.postprocess.detect_coach_intent`` on every held-out message (interpreter
  and coach test splits): recall on the rows the generator wrote as plan-change attempts
  (category ``i6_refusal``) or unrealistic goals (``unrealistic_goal``), and the share of all
  other messages it fires on, per language;
- served replies: every held-out coach row code answers, replied to by the model alone
  (``coach_contract_replies=False``, greedy) and as served (the fixed reply), both scored by the
  same pure scorers as the quality suites with the row's expected behaviour (I6 refusal for
  plan changes, pushback for unrealistic goals), paired per row with an exact McNemar p.
"""

from __future__ import annotations

import statistics
import sys
import time
from typing import Any

from benchmarks import _heldout as heldout

# The generator's category for each intent code answers.
CATEGORY_INTENT = {"i6_refusal": "plan_change", "unrealistic_goal": "unrealistic_goal"}
EXPECTED_SCORE = {"i6_refusal": "i6_refusal", "unrealistic_goal": "pushback"}


def detection(rows: list[dict[str, Any]]) -> dict[str, Any]:
    from josi.postprocess import detect_coach_intent

    out: dict[str, Any] = {}
    for lang in ("all", "en", "nl"):
        picked = [r for r in rows if lang == "all" or r["lang"] == lang]
        block: dict[str, Any] = {}
        for category, intent in CATEGORY_INTENT.items():
            positives = [r for r in picked if r["category"] == category]
            hits = [detect_coach_intent(r["user"]) for r in positives]
            block[intent] = {
                "rows": len(positives),
                "answered_by_code": sum(h is not None for h in hits),
                "as_this_intent": sum(h is not None and h.intent == intent for h in hits),
            }
        others = [r for r in picked if r["category"] not in CATEGORY_INTENT]
        fired = [(r, detect_coach_intent(r["user"])) for r in others]
        block["other_messages"] = {
            "rows": len(others),
            "fired": sum(h is not None for _, h in fired),
            "examples": [
                {"category": r["category"], "message": r["user"], "rule": h.rule}
                for r, h in fired
                if h is not None
            ][:20],
        }
        out[lang] = block
    return out


def score_reply(runtime: Any, row: dict[str, Any]) -> dict[str, Any]:
    from josi.scorers import all_passed, coach_checks

    call = runtime.coach(
        row["context"], row["user"], row["interpreter_output"], row["history"] or None
    )
    expect = (EXPECTED_SCORE[row["category"]],)
    checks = coach_checks(
        call.text,
        persona=row["persona"],
        lang=row["lang"],
        context_text=row["messages"][-1]["content"],
        memory=row["context"].get("memory"),
        gatc_result=row["context"].get("gatc_result"),
        expect=expect,
    )
    return {
        "source": call.source,
        "expected_behaviour": next(c.passed for c in checks if c.name == expect[0]),
        "coach_checks_pass": all_passed(checks),
        "failed_checks": [c.name for c in checks if not c.passed],
        "reply": call.text,
    }


def main(argv: list[str] | None = None) -> int:
    parser = heldout.parser(__doc__)
    args = parser.parse_args(argv)

    from josi._io import sha256_file
    from josi.evals import mcnemar_exact
    from josi.postprocess import detect_coach_intent
    from josi.runtime import JosiRuntime, RuntimeConfig

    coach_file, interp_file = "coach.test.jsonl", "interpreter.test.jsonl"
    gguf, data_dir = heldout.model_and_data(
        args.gguf, args.data, out=args.out, split_files=(coach_file, interp_file)
    )
    coach_rows = heldout.split_rows(data_dir, coach_file, args.rows)
    interp_rows = heldout.split_rows(data_dir, interp_file, args.rows)
    for row in interp_rows:
        row.setdefault("user", row.get("message") or row["messages"][-2]["content"])
    answered = [
        r for r in coach_rows if r["category"] in CATEGORY_INTENT and detect_coach_intent(r["user"])
    ]
    started = time.perf_counter()
    base = JosiRuntime(RuntimeConfig(gguf=gguf, deterministic=True, seed=0, n_threads=args.threads))
    try:
        served = [score_reply(base, r) for r in answered]
        model = [score_reply(base.with_config(coach_contract_replies=False), r) for r in answered]
    finally:
        base.close()
    paired: dict[str, Any] = {}
    for measure in ("expected_behaviour", "coach_checks_pass"):
        gained = sum(s[measure] and not m[measure] for s, m in zip(served, model, strict=True))
        lost = sum(m[measure] and not s[measure] for s, m in zip(served, model, strict=True))
        paired[measure] = {
            "served": round(statistics.fmean(s[measure] for s in served), 4) if served else None,
            "model_alone": round(statistics.fmean(m[measure] for m in model), 4) if model else None,
            "served_only": gained,
            "model_only": lost,
            "mcnemar_p": float(f"{mcnemar_exact(gained, lost):.3g}"),
        }
    results = {
        "model": {"path": str(gguf), "sha256": sha256_file(gguf)},
        "data": {"dir": str(data_dir), "files": ["interpreter.test.jsonl", "coach.test.jsonl"]},
        "detection": detection(interp_rows + coach_rows),
        "served_replies": {
            "rows": len(answered),
            "decoding": "greedy (deterministic=True), seed 0",
            "paired": paired,
        },
        "rows": [
            {
                "id": r["id"],
                "lang": r["lang"],
                "category": r["category"],
                "served": s,
                "model_alone": m,
            }
            for r, s, m in zip(answered, served, model, strict=True)
        ],
    }
    heldout.write_results(args.out, results, started)
    for measure, block in paired.items():
        print(
            f"{measure}: served {block['served']} vs model alone {block['model_alone']} "
            f"(+{block['served_only']}/-{block['model_only']}, p={block['mcnemar_p']})",
            file=sys.stderr,
        )
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
