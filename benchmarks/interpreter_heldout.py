"""Requests on the dataset's held-out interpreter split, for one GGUF or two side by side.

    python -m benchmarks.interpreter_heldout --out benchmarks/results/NAME.json [--gguf PATH]
        [--against OTHER.gguf] [--data DIR] [--held-out-in OTHER_DATA_DIR] [--split val]

Every row of `interpreter.test.jsonl` (phrasing groups that training never sees and the gate
suites do not contain) is interpreted greedily, with the shipped runtime defaults. Two views:
- model: the request as the model wrote it (action, and every expected field but the copied
  message and the confidence);
- served: the same request after the deterministic post-processor (time, sport and red flags
  read from the message), which is what the app's engine receives.

Reported per language and overall: action accuracy, mean recall over actions (a model that
always writes the most common action scores 1/5 here, not its share of rows), field accuracy,
the confusion matrix, what the engine would be asked to do unasked (an engine action for a row
that asks a question or needs a clarify question, a replan for a row that asks no replan: the
misroutes that change what the athlete trains), and, with --against, the rows each model alone
gets right with an exact McNemar p. Action accuracy follows the label mix of the split; mean
recall does not.
When the two models were trained on different builds of the dataset, --held-out-in also reports
the rows both builds hold out, the only rows on which neither model has seen the phrasing.
--split val measures the validation split instead: what a recipe is chosen on.
"""

from __future__ import annotations

import statistics
import sys
import time
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from benchmarks import _heldout as heldout
from benchmarks import _kernels

SKIPPED_FIELDS = ("action", "free_text", "confidence")
VIEWS = ("model", "served")


def field_hits(expected: dict[str, Any], got: dict[str, Any]) -> tuple[int, int]:
    """(fields right, fields expected), over the fields that carry a decision."""
    fields = [key for key in expected if key not in SKIPPED_FIELDS]
    return sum(got.get(key) == expected[key] for key in fields), len(fields)


def score_row(runtime: Any, row: dict[str, Any]) -> dict[str, Any]:
    call = runtime.interpret(row["context"], row["user"], history=row.get("history") or None)
    return score_request(row, call.request or {}, parse_ok=bool(call.parse.ok))


def score_request(row: dict[str, Any], model: dict[str, Any], *, parse_ok: bool) -> dict[str, Any]:
    """Both views of the request the model wrote for ``row``: as written and as served."""
    from josi.postprocess import postprocess

    served = (
        postprocess(model, user_message=row["user"], ctx=row["context"]).request if model else {}
    )
    out: dict[str, Any] = {
        "expected": row["expected"]["action"],
        "parse_ok": parse_ok,
        # As written, so a change to the served path can be measured again without the model.
        "request": model,
    }
    for view, request in (("model", model), ("served", served)):
        right, total = field_hits(row["expected"], request)
        out[view] = {"action": request.get("action"), "fields_right": right, "fields": total}
    return out


def unasked_kinds() -> dict[str, tuple[str, ...]]:
    """Per misroute counted, the actions it watches: a row is misrouted so when it is served
    one of them while its label is none of them (any engine action for a question or a
    clarify; a replan for anything but a replan)."""
    from josi.postprocess import engine_actions

    return {"engine_action_unasked": engine_actions(), "replan_unasked": ("replan",)}


def unasked(expected: str, action: Any) -> dict[str, bool]:
    """Whether ``action`` asks the engine for what a row labelled ``expected`` did not."""
    return {
        name: action in kinds and expected not in kinds for name, kinds in unasked_kinds().items()
    }


def summarize(rows: list[dict[str, Any]], scored: list[dict[str, Any]]) -> dict[str, Any]:
    kinds_of = unasked_kinds()
    out: dict[str, Any] = {}
    actions = sorted({s["expected"] for s in scored})
    for lang in ("all", *sorted({r["lang"] for r in rows})):
        picked = [
            s for r, s in zip(rows, scored, strict=False) if lang == "all" or r["lang"] == lang
        ]
        block: dict[str, Any] = {
            "rows": len(picked),
            "parse_ok": round(statistics.fmean(s["parse_ok"] for s in picked), 4),
        }
        for view in VIEWS:
            recall = {}
            for action in actions:
                of_action = [s for s in picked if s["expected"] == action]
                if of_action:
                    recall[action] = round(
                        sum(s[view]["action"] == action for s in of_action) / len(of_action), 4
                    )
            fields = sum(s[view]["fields"] for s in picked)
            block[view] = {
                "action_accuracy": round(
                    statistics.fmean(s[view]["action"] == s["expected"] for s in picked), 4
                ),
                "mean_recall": round(statistics.fmean(recall.values()), 4),
                "recall": recall,
                "field_accuracy": round(sum(s[view]["fields_right"] for s in picked) / fields, 4)
                if fields
                else None,
                "predicted": dict(Counter(str(s[view]["action"]) for s in picked).most_common()),
                # Counted over the rows that could be misrouted so: k of n.
                **{
                    name: {
                        "k": sum(unasked(s["expected"], s[view]["action"])[name] for s in picked),
                        "n": sum(s["expected"] not in kinds for s in picked),
                    }
                    for name, kinds in kinds_of.items()
                },
            }
        out[lang] = block
    return out


def paired(
    first: list[dict[str, Any]], second: list[dict[str, Any]], view: str = "model"
) -> dict[str, Any]:
    """Rows only one model gets right (action), with the exact McNemar p; and, per misroute
    counted (``unasked``), the rows only one model misroutes so."""
    found = _discordant(
        (a[view]["action"] == a["expected"], b[view]["action"] == b["expected"])
        for a, b in zip(first, second, strict=False)
    )
    for name in unasked_kinds():
        found[name] = _discordant(
            (
                unasked(a["expected"], a[view]["action"])[name],
                unasked(b["expected"], b[view]["action"])[name],
            )
            for a, b in zip(first, second, strict=False)
        )
    return found


def _discordant(marks: Iterable[tuple[bool, bool]]) -> dict[str, Any]:
    from josi.evals import mcnemar_exact

    pairs = list(marks)
    first_only = sum(x and not y for x, y in pairs)
    second_only = sum(y and not x for x, y in pairs)
    return {
        "first_only": first_only,
        "second_only": second_only,
        "mcnemar_p": float(f"{mcnemar_exact(first_only, second_only):.3g}"),
    }


def summary_line(model: dict[str, Any]) -> str:
    """One model's overall figures in both views, for the terminal."""
    block = model["summary"]["all"]
    return f"{Path(model['path']).name} {model['sha256'][:8]}: " + ", ".join(
        f"{view} action {block[view]['action_accuracy']} "
        f"mean recall {block[view]['mean_recall']} "
        f"fields {block[view]['field_accuracy']} "
        f"engine action unasked {_count(block[view].get('engine_action_unasked'))}"
        for view in VIEWS
    )


def _count(found: dict[str, int] | None) -> str:
    # Results written before the count existed hold none.
    return "-" if found is None else f"{found['k']}/{found['n']}"


def _measure(
    gguf: Path, rows: list[dict[str, Any]], threads: int | None, **engine: Any
) -> list[dict[str, Any]]:
    from josi.runtime import RuntimeConfig

    config = RuntimeConfig(gguf=gguf, deterministic=True, seed=0, n_threads=threads, **engine)
    return heldout.measure(config, rows, score_row)


def main(argv: list[str] | None = None) -> int:
    parser = heldout.parser(__doc__)
    heldout.add_split_argument(parser)
    parser.add_argument(
        "--against", type=Path, help="a second GGUF measured on the same rows in the same run"
    )
    _kernels.add_arguments(parser, "--gguf (--against keeps the shipped settings)")
    args = parser.parse_args(argv)

    from josi._io import sha256_file

    split_file = f"interpreter.{args.split}.jsonl"
    other = args.held_out_in / split_file if args.held_out_in else None
    gguf, data_dir = heldout.model_and_data(
        args.gguf,
        args.data,
        out=args.out,
        split_files=(split_file,),
        also_read=(args.against, other),
    )
    kernels = _kernels.settings(parser, args, gguf)
    rows = heldout.split_rows(data_dir, split_file, args.rows)
    models = [gguf] + ([args.against] if args.against else [])
    started = time.perf_counter()
    scored = []
    for path in models:
        engine = kernels if path == gguf else {}
        scored.append(_measure(path, rows, args.threads, **engine))
        print(f"{path.name}: {len(rows)} requests", file=sys.stderr)
    results: dict[str, Any] = {
        "data": {
            "dir": str(data_dir),
            "file": split_file,
            "rows": len(rows),
            "held_out_in": str(args.held_out_in) if args.held_out_in else None,
        },
        "decoding": (
            "greedy (deterministic=True), seed 0, "
            "shipped runtime defaults (grammar, pinned free_text)"
        ),
        "models": [
            {
                "path": str(path),
                "sha256": sha256_file(path),
                **(kernels if path == gguf else _kernels.shipped()),
                "summary": summarize(rows, per_row),
            }
            for path, per_row in zip(models, scored, strict=False)
        ],
    }
    if args.against:
        results["paired_action"] = {view: paired(scored[0], scored[1], view) for view in VIEWS}
    both = (
        heldout.held_out_by_both(rows, args.held_out_in, split_file) if args.held_out_in else None
    )
    if both is not None:
        kept = [row for row, keep in zip(rows, both, strict=True) if keep]
        kept_scored = [
            [s for s, keep in zip(per_row, both, strict=True) if keep] for per_row in scored
        ]
        results["held_out_by_both"] = {
            "rows": len(kept),
            "summaries": [summarize(kept, per_row) for per_row in kept_scored] if kept else [],
        }
        if args.against:
            results["held_out_by_both"]["paired_action"] = {
                view: paired(kept_scored[0], kept_scored[1], view) for view in VIEWS
            }
    results["rows"] = [
        {
            "id": row["id"],
            "lang": row["lang"],
            "expected": row["expected"]["action"],
            # The request as written is kept, so a change to the served path can be measured
            # again on these rows without the model.
            "models": [
                {
                    **{view: per_row[i][view]["action"] for view in VIEWS},
                    "request": per_row[i]["request"],
                }
                for per_row in scored
            ],
            **({"held_out_by_both": both[i]} if both is not None else {}),
        }
        for i, row in enumerate(rows)
    ]
    heldout.write_results(args.out, results, started)
    for model in results["models"]:
        print(summary_line(model), file=sys.stderr)
    if both is not None:
        block = results["held_out_by_both"]
        accuracies = [summary["all"]["model"]["action_accuracy"] for summary in block["summaries"]]
        print(
            f"held out by both builds: {block['rows']} rows, action {accuracies}", file=sys.stderr
        )
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
