r"""Coach-intent detection on labelled messages kept outside the repository.

    python -m benchmarks.coach_intent_messages --messages FILE.jsonl \
        --out benchmarks/results/NAME.json [--paired-with EARLIER.json] [--show-misses] \
        [--planned-minutes N] [--coach-step]

FILE.jsonl holds one message per line: ``{"id", "lang", "label", "message"}`` with ``label`` one
of ``plan_change``, ``unrealistic_goal`` (josi.postprocess.INTENTS) or ``none``. Such a file is
meant to be written from the v6 guide's definitions by someone who has not seen the lexicon, and
kept out of the repository so that no rule is written against it: the results hold per-label
and per-language counts with 95% Wilson intervals and each id's outcome, never a message.
``--paired-with`` compares against an earlier result on the same file (same sha256), for example
the lexicon before a change, case by case with the exact McNemar test. ``--show-misses`` prints
the misses to stderr: for a tuning file only, since reading a file's misses makes it one.
``--planned-minutes`` reads every message against a planned session of that length (the
lexicon's longer-than-planned rules need it); ``--coach-step`` reads as the coach step does,
with the learned plan-change reading behind the lexicon (``routing.coach_contract_reply``).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks import _heldout as heldout

LABELS = ("plan_change", "unrealistic_goal", "none")


def read_messages(path: Path) -> list[dict[str, Any]]:
    from josi._io import read_jsonl

    try:
        rows = read_jsonl(path)
    except (OSError, ValueError) as exc:
        raise SystemExit(str(exc)) from None
    for n, row in enumerate(rows, 1):
        if not isinstance(row, dict) or row.get("label") not in LABELS:
            raise SystemExit(f"{path}: message {n}: needs a label in {LABELS}")
        if not all(isinstance(row.get(k), str) for k in ("id", "lang", "message")):
            raise SystemExit(f"{path}: message {n}: needs string id, lang and message")
    if len({r["id"] for r in rows}) != len(rows):
        raise SystemExit(f"{path}: ids are not unique")
    return rows


def detected(
    rows: list[dict[str, Any]], *, planned: int | None = None, coach_step: bool = False
) -> dict[str, str]:
    """Each id's detected intent, or "none"."""
    from josi.postprocess import detect_coach_intent

    out = {}
    for r in rows:
        hit = detect_coach_intent(r["message"], planned=planned, learned=coach_step)
        out[r["id"]] = hit.intent if hit is not None else "none"
    return out


def summary(rows: list[dict[str, Any]], got: dict[str, str]) -> dict[str, Any]:
    from josi.evals import wilson

    out: dict[str, Any] = {}
    for lang in ("all", *sorted({r["lang"] for r in rows})):
        block: dict[str, Any] = {}
        for label in LABELS:
            picked = [r for r in rows if r["label"] == label and lang in ("all", r["lang"])]
            right = sum(got[r["id"]] == label for r in picked)
            entry: dict[str, Any] = {"rows": len(picked), "right": right}
            if picked:
                entry["rate"] = wilson(right, len(picked)).to_dict()
            if label != "none":
                # Either intent gets a fixed reply from code instead of the model's.
                entry["answered_by_code"] = sum(got[r["id"]] != "none" for r in picked)
            block[label] = entry
        out[lang] = block
    return out


def paired(
    rows: list[dict[str, Any]], got: dict[str, str], earlier: dict[str, Any]
) -> dict[str, Any]:
    from josi.evals import mcnemar_exact

    before = earlier["outcomes"]
    out: dict[str, Any] = {}
    for label in LABELS:
        ids = [r["id"] for r in rows if r["label"] == label]
        fixed = sum(before[i] != label and got[i] == label for i in ids)
        broken = sum(before[i] == label and got[i] != label for i in ids)
        out[label] = {
            "fixed": fixed,
            "broken": broken,
            "mcnemar_p": float(f"{mcnemar_exact(fixed, broken):.3g}"),
        }
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--messages", type=Path, required=True, help="labelled JSONL file")
    parser.add_argument("--out", type=Path, required=True, help="JSON results file")
    parser.add_argument("--paired-with", type=Path, help="an earlier result on the same file")
    parser.add_argument("--show-misses", action="store_true", help="print misses to stderr")
    parser.add_argument(
        "--planned-minutes", type=int, help="the planned session's length for every message"
    )
    parser.add_argument(
        "--coach-step", action="store_true", help="with the learned reading, as the coach step"
    )
    args = parser.parse_args(argv)

    from josi._io import atomic_write_json, sha256_file

    # --out equal to --paired-with would replace the earlier result with this one.
    heldout.refuse_output_over_inputs(args.out, args.messages, args.paired_with)
    rows = read_messages(args.messages)
    digest = sha256_file(args.messages)
    earlier = None
    if args.paired_with is not None:
        earlier = json.loads(args.paired_with.read_text(encoding="utf-8"))
        if earlier.get("messages", {}).get("sha256") != digest:
            raise SystemExit(f"{args.paired_with}: measured another messages file")
    started = time.perf_counter()
    got = detected(rows, planned=args.planned_minutes, coach_step=args.coach_step)
    results: dict[str, Any] = {
        "messages": {"file": args.messages.name, "sha256": digest, "rows": len(rows)},
        "reading": {"planned_minutes": args.planned_minutes, "coach_step": args.coach_step},
        "detection": summary(rows, got),
        "outcomes": got,
        "wall_s": round(time.perf_counter() - started, 2),
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    if earlier is not None:
        results["paired"] = {"with": args.paired_with.name, **paired(rows, got, earlier)}
    atomic_write_json(args.out, results)
    for label, entry in results["detection"]["all"].items():
        print(f"{label}: {entry['right']}/{entry['rows']}", file=sys.stderr)
    if args.show_misses:
        for r in rows:
            if got[r["id"]] != r["label"]:
                print(
                    f"miss {r['id']} {r['label']} -> {got[r['id']]}: {r['message']}",
                    file=sys.stderr,
                )
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
