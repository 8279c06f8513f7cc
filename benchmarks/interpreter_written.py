"""Requests written by hand and never trained on, for one GGUF or several side by side.

    python -m benchmarks.interpreter_written --out benchmarks/results/NAME.json [--gguf PATH]
        [--against OTHER.gguf ...] [--requests FILE] [--seed N] [--rescore RESULTS]

The held-out split is templated: its phrasings are new to the model, but its style is the
generator's. A model can gain there and lose on what athletes write (typos, slang, colloquial
and Flemish Dutch, fragments, rambling). ``fixtures/intents/requests_val.jsonl`` holds requests
written for this benchmark by a writer who saw neither the generator, the gate cases nor the
training requests, each labelled with its action for a coach-tier runner with a session planned
(the same situation and label policy as the training requests, ``josi.data._athlete``). It is
validation material: choose a recipe on it; report ``requests_test.jsonl`` (written separately to
the same brief, never tuned on: ``--requests``), the held-out split and the gate.

Each request is put in one drawn context of that kind (``--seed``) and turned into an expected
request exactly as a training row would be; a request that a gate case, a training request or a
row of the dataset also asks is left out, and a replan whose type the request lexicon does not
read is scored on its action alone (its other fields would be a guess); the counts are reported.
Scored as the held-out benchmark scores (``benchmarks.interpreter_heldout``): the request as
written and as served, per language, each --against model paired to the first (exact McNemar).
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks import _heldout as heldout
from benchmarks import _served as served
from benchmarks import interpreter_heldout as heldout_bench

REQUESTS_FILE = ("intents", "requests_val.jsonl")
# Written separately to the same brief, never tuned on: what a choice made on the file above is
# reported on.
REPORT_FILE = ("intents", "requests_test.jsonl")
# Written separately to the same brief and answered by no model yet: held for the verdict, never
# tuned on (fixtures/intents/README.md).
RESERVE_FILE = ("intents", "requests_reserve.jsonl")
VIEWS = heldout_bench.VIEWS
DATASET_FILES = tuple(f"interpreter.{split}.jsonl" for split in ("train", "val", "test"))


def requests_path(parts: tuple[str, ...] = REQUESTS_FILE) -> Path:
    from josi._resources import resource_dir

    return resource_dir("fixtures").joinpath(*parts)


def excluded_messages(data_dir: Path | None) -> frozenset[str]:
    """What the written requests must not repeat, in ``match_form``: every gate case's message,
    every training request, and (with ``data_dir``) every message of the dataset's splits."""
    from josi._io import read_jsonl
    from josi.data import _athlete as athlete
    from josi.evals import cases_dir

    found = set(athlete.case_messages(cases_dir()))
    found |= {
        athlete.match_form(r.text) for r in athlete.read_requests(athlete.written_requests_path())
    }
    if data_dir is not None:
        for name in DATASET_FILES:
            if (data_dir / name).is_file():
                found |= {athlete.match_form(row["user"]) for row in read_jsonl(data_dir / name)}
    return frozenset(found)


def written_rows(
    path: Path, *, seed: int, excluded: frozenset[str]
) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """One scored row per request in ``path``, and the requests left out, by reason.

    A replan whose type the request lexicon does not read is no training row (its type would
    be a guess), but it is what an athlete writes: here it is scored on its action alone."""
    import random

    from josi.data import _athlete as athlete
    from josi.data._contexts import make_context
    from josi.data._world import PERSONAS

    requests = athlete.read_requests(path)
    rows, left_out = athlete.athlete_rows(requests, copies=1, seed=seed, excluded=excluded)
    made = set()
    for row in rows:
        row["id"] = row.pop("_athlete_key")
        made.add(int(row["id"].split(":")[1]))
    unread = left_out.pop("replan with no type the request lexicon reads", 0)
    rng = random.Random(f"written-replans:{seed}")
    for index, request in enumerate(requests):
        if index in made or athlete.match_form(request.text) in excluded:
            continue
        # Neither a row nor excluded: athlete_rows left it out as an unread replan.
        ctx = make_context(
            rng,
            lang=request.lang,
            persona=rng.choice(PERSONAS),
            tier=athlete._TIER,
            profile_sport=athlete._SPORT,
        )
        rows.append(
            {
                "id": f"written-replan:{index}",
                "lang": request.lang,
                "context": ctx,
                "history": [],
                "user": request.text,
                "expected": {"action": request.action},
            }
        )
    assert len(rows) == len(requests) - sum(left_out.values()), "every request is accounted for"
    assert len(rows) - len(made) == unread, "only unread replans are scored on their action alone"
    if unread:
        left_out["replans scored on their action alone (no type the request lexicon reads)"] = (
            unread
        )
    return rows, dict(sorted(left_out.items()))


def rescored(
    previous: dict[str, Any],
) -> tuple[list[dict[str, Any]], list[list[dict[str, Any]]]]:
    """The rows of an earlier results file and each model's scores, served again by the current
    post-processor from the requests the models wrote then (no model is run)."""
    rows = [
        {
            "id": row["id"],
            "lang": row["lang"],
            "user": row["user"],
            "context": row["context"],
            "expected": row["expected_request"],
        }
        for row in previous["rows"]
    ]
    scored = [
        [
            heldout_bench.score_request(
                row, old["models"][k]["request"] or {}, parse_ok=old["models"][k]["parse_ok"]
            )
            for row, old in zip(rows, previous["rows"], strict=True)
        ]
        for k in range(len(previous["models"]))
    ]
    return rows, scored


def main(argv: list[str] | None = None) -> int:
    parser = served.parser(__doc__)
    parser.add_argument(
        "--against",
        type=Path,
        action="append",
        default=[],
        help="another GGUF measured on the same rows in the same run, paired with --gguf",
    )
    parser.add_argument("--requests", type=Path, default=None, help="labelled requests file")
    parser.add_argument(
        "--data",
        type=Path,
        default=None,
        help="dataset directory whose messages are left out too (default: the nano build's)",
    )
    parser.add_argument("--seed", type=int, default=1, help="draws the requests' contexts")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument(
        "--rescore",
        type=Path,
        default=None,
        metavar="RESULTS",
        help="serve the requests an earlier run of this benchmark recorded again with the current "
        "post-processor, running no model: a change to the served path, measured on the same "
        "outputs",
    )
    args = parser.parse_args(argv)

    from josi._io import sha256_file

    # --rescore X --out X would replace the recorded requests with their rescoring, and --out
    # equal to a --gguf would replace the model.
    heldout.refuse_output_over_inputs(
        args.out, args.rescore or args.requests or requests_path(), args.gguf, *args.against
    )

    started = time.perf_counter()
    if args.rescore is not None:
        previous = json.loads(args.rescore.read_text(encoding="utf-8"))
        if not all(
            "expected_request" in row and all("parse_ok" in m for m in row["models"])
            for row in previous.get("rows", ())
        ):
            raise SystemExit(f"{args.rescore}: no recorded requests to serve again (an older run)")
        rows, scored = rescored(previous)
        models = [Path(model["path"]) for model in previous["models"]]
        hashes = [model["sha256"] for model in previous["models"]]
        header = {
            **{key: previous[key] for key in ("requests", "context_seed", "decoding")},
            "rescored_from": str(args.rescore),
        }
    else:
        # --against and the requests were checked above.
        gguf, data_dir = heldout.model_and_data(
            args.gguf, args.data, out=args.out, split_files=DATASET_FILES
        )
        path = args.requests or requests_path()
        if not path.is_file():
            raise SystemExit(f"{path} not found: pass --requests with a labelled requests file")
        rows, left_out = written_rows(path, seed=args.seed, excluded=excluded_messages(data_dir))
        if not rows:
            raise SystemExit(f"{path}: no request left to measure ({left_out})")
        models = [gguf, *args.against]
        scored = []
        for model in models:
            scored.append(heldout_bench._measure(model, rows, args.threads))
            print(f"{model.name}: {len(rows)} requests", file=sys.stderr)
        hashes = [sha256_file(model) for model in models]
        header = {
            "requests": {"file": str(path), "rows": len(rows), "notes": left_out},
            "context_seed": args.seed,
            "decoding": (
                "greedy (deterministic=True), seed 0, "
                "shipped runtime defaults (grammar, pinned free_text)"
            ),
        }
    results: dict[str, Any] = {
        **header,
        "models": [
            {
                "path": str(model),
                "sha256": sha256,
                "summary": heldout_bench.summarize(rows, per_row),
            }
            for model, sha256, per_row in zip(models, hashes, scored, strict=True)
        ],
        "paired_action": [
            {
                "against": str(model),
                **{view: heldout_bench.paired(scored[0], per_row, view) for view in VIEWS},
            }
            for model, per_row in zip(models[1:], scored[1:], strict=True)
        ],
        "rows": [
            {
                "id": row["id"],
                "lang": row["lang"],
                "user": row["user"],
                "expected": row["expected"]["action"],
                "models": [
                    {
                        **{view: per_row[i][view]["action"] for view in VIEWS},
                        "request": per_row[i]["request"],
                        "parse_ok": per_row[i]["parse_ok"],
                    }
                    for per_row in scored
                ],
                "context": row["context"],
                "expected_request": row["expected"],
            }
            for i, row in enumerate(rows)
        ],
    }
    heldout.write_results(args.out, results, started)
    for model in results["models"]:
        print(heldout_bench.summary_line(model), file=sys.stderr)
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
