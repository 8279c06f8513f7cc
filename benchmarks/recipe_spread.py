"""Recipes compared over several training runs each, from held-out results already measured.

    python -m benchmarks.recipe_spread --out benchmarks/results/NAME.json
        --arm NAME=RESULT.json[,RESULT.json...] --arm OTHER=...

Each RESULT is the JSON of `benchmarks.interpreter_heldout` or `benchmarks.coach_decoding`,
and stands for one training run of its arm: the file's first model, or its reference model
with `RESULT.json@against` (the `--against` GGUF, e.g. the shipped model). Every file must
cover the same held-out rows.

A paired test between two models says whether those two models differ on these rows; it
says nothing about another run of the same recipe. On 2 cores a run reaches a fifth of the
training split, and the seed picks which fifth: two seeds of one recipe differ by more than
most recipe changes (profiles/README.md). So here a recipe is a set of runs, and reported are:
- per arm: each run's score, their mean, sample standard deviation and range, and the exact
  McNemar p between every two runs of the arm (how "significant" a seed alone looks);
- per pair of arms: the difference of the means, and an exact permutation p over the runs
  (every way of splitting the pooled runs into two arms of the same sizes). With k runs per
  arm the smallest reachable two-sided p is 2 / C(2k, k): 0.1 for 3 runs each, 0.029 for 4.

Scores: interpreter files give action accuracy in the served view and as the model wrote it;
coach files give the share of replies that pass every coach check. Overall and per language.
"""

from __future__ import annotations

import argparse
import itertools
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

AGAINST = "@against"


def run_scores(result: dict[str, Any], *, against: bool) -> dict[str, Any]:
    """One run's per-row outcomes (row id -> {score: passed}) and the kind of file."""
    rows = result.get("rows")
    if not isinstance(rows, list) or not rows:
        raise ValueError("no per-row results")
    if isinstance(result.get("models"), list):
        index = 1 if against else 0
        if index >= len(result["models"]):
            raise ValueError("no --against model in this interpreter result")
        outcomes = {
            row["id"]: {
                view: row["models"][index][view] == row["expected"] for view in ("served", "model")
            }
            for row in rows
        }
        return {"kind": "interpreter", "outcomes": outcomes, "langs": _langs(rows)}
    if "summary" in result and "model" in rows[0]:
        side = "against" if against else "model"
        if side not in rows[0]:
            raise ValueError("no --against model in this coach result")
        outcomes = {
            row["id"]: {"coach_checks": bool(row[side]["coach_checks_pass"])} for row in rows
        }
        return {"kind": "coach", "outcomes": outcomes, "langs": _langs(rows)}
    raise ValueError("neither an interpreter_heldout nor a coach_decoding result")


def _langs(rows: list[dict[str, Any]]) -> dict[str, str]:
    return {row["id"]: str(row.get("lang", "")) for row in rows}


def mcnemar_between(first: dict[str, dict], second: dict[str, dict], score: str) -> dict:
    from josi.evals import mcnemar_exact

    only_first = sum(first[i][score] and not second[i][score] for i in first)
    only_second = sum(second[i][score] and not first[i][score] for i in first)
    return {
        "first_only": only_first,
        "second_only": only_second,
        "mcnemar_p": float(f"{mcnemar_exact(only_first, only_second):.3g}"),
    }


def permutation_p(first: list[float], second: list[float]) -> float:
    """Exact two-sided permutation p for a difference of means, over every relabelling."""
    pooled = first + second
    observed = abs(statistics.fmean(first) - statistics.fmean(second))
    total = extreme = 0
    for chosen in itertools.combinations(range(len(pooled)), len(first)):
        picked = set(chosen)
        a = [pooled[i] for i in picked]
        b = [pooled[i] for i in range(len(pooled)) if i not in picked]
        total += 1
        # A small tolerance, so relabellings with the observed difference count as extreme.
        extreme += abs(statistics.fmean(a) - statistics.fmean(b)) >= observed - 1e-12
    return extreme / total


def _spread(values: list[float]) -> dict[str, Any]:
    return {
        "runs": [round(v, 4) for v in values],
        "mean": round(statistics.fmean(values), 4),
        "sd": round(statistics.stdev(values), 4) if len(values) > 1 else None,
        "range": round(max(values) - min(values), 4),
    }


def compare(arms: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """Per-arm spread and pairwise differences for runs already loaded by ``run_scores``."""
    runs = [run for members in arms.values() for run in members]
    kinds = {run["kind"] for run in runs}
    if len(kinds) != 1:
        raise ValueError(f"arms mix result kinds {sorted(kinds)}: compare one mode at a time")
    ids = set(runs[0]["outcomes"])
    if any(set(run["outcomes"]) != ids for run in runs):
        raise ValueError("the result files do not cover the same held-out rows")
    scores = list(next(iter(runs[0]["outcomes"].values())))
    langs = runs[0]["langs"]
    subsets = {"all": sorted(ids)} | {
        lang: sorted(i for i in ids if langs[i] == lang) for lang in sorted(set(langs.values()))
    }

    # Each run's rate per score and subset, computed once for the spreads and the pairs.
    rates = {
        name: {
            score: {
                subset: [
                    sum(run["outcomes"][i][score] for i in rows) / len(rows) for run in members
                ]
                for subset, rows in subsets.items()
            }
            for score in scores
        }
        for name, members in arms.items()
    }
    report: dict[str, Any] = {"kind": kinds.pop(), "rows": len(ids), "arms": {}, "pairs": []}
    for name, members in arms.items():
        block: dict[str, Any] = {"runs": len(members)}
        for score in scores:
            block[score] = {subset: _spread(rates[name][score][subset]) for subset in subsets}
            block[score]["between_runs"] = [
                {
                    "runs": [a, b],
                    **mcnemar_between(members[a]["outcomes"], members[b]["outcomes"], score),
                }
                for a, b in itertools.combinations(range(len(members)), 2)
            ]
        report["arms"][name] = block
    for first, second in itertools.combinations(arms, 2):
        pair: dict[str, Any] = {"arms": [first, second]}
        for score in scores:
            pair[score] = {}
            for subset in subsets:
                a, b = rates[first][score][subset], rates[second][score][subset]
                pair[score][subset] = {
                    "difference": round(statistics.fmean(a) - statistics.fmean(b), 4),
                    "permutation_p": round(permutation_p(a, b), 4),
                }
        report["pairs"].append(pair)
    return report


def _parse_arm(text: str) -> tuple[str, list[tuple[Path, bool]]]:
    name, sep, files = text.partition("=")
    if not sep or not name or not files:
        raise ValueError(f"--arm {text!r}: expected NAME=RESULT.json[,RESULT.json...]")
    members = []
    for item in files.split(","):
        against = item.endswith(AGAINST)
        members.append((Path(item.removesuffix(AGAINST)), against))
    return name, members


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--arm", action="append", required=True, metavar="NAME=FILES")
    parser.add_argument("--out", type=Path, required=True, help="JSON results file")
    args = parser.parse_args(argv)

    from josi._io import atomic_write_json

    arms: dict[str, list[dict[str, Any]]] = {}
    sources: dict[str, list[str]] = {}
    try:
        for text in args.arm:
            name, members = _parse_arm(text)
            if name in arms:
                raise ValueError(f"arm {name!r} given twice")
            arms[name], sources[name] = [], []
            for path, against in members:
                try:
                    result = json.loads(path.read_text(encoding="utf-8"))
                    arms[name].append(run_scores(result, against=against))
                except (OSError, ValueError, KeyError, TypeError) as exc:
                    raise ValueError(f"{path}: {exc}") from None
                sources[name].append(str(path) + (AGAINST if against else ""))
        report = compare(arms)
    except ValueError as exc:
        print(f"recipe_spread: {exc}", file=sys.stderr)
        return 2
    report["sources"] = sources
    report["created"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    atomic_write_json(args.out, report)
    headline = "served" if report["kind"] == "interpreter" else "coach_checks"
    for name, block in report["arms"].items():
        overall = block[headline]["all"]
        print(f"{name}: {headline} {overall['mean']} (runs {overall['runs']})")
    for pair in report["pairs"]:
        overall = pair[headline]["all"]
        print(
            f"{pair['arms'][0]} - {pair['arms'][1]}: {overall['difference']:+} "
            f"(permutation p {overall['permutation_p']})"
        )
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
