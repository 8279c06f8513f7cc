"""How often the absolute gates of a gate run would be met again on another draw of such cases.

    python -m benchmarks.gate_headroom RESULTS.json [RESULTS.json ...] --out FILE.json
        [--resamples 2000] [--seed 0] [--leave-out LAYER.METRIC ...]

An absolute gate judges a point estimate over 5 to 205 cases, and a model meets many of them by
a case or two. This asks how much of that verdict the case draw decides: a case bootstrap
resamples each layer's records with replacement (within the groups of records that hold the same
scorers, so each metric keeps its case count), recomputes every metric with the function the
run used (``josi.evals._results.layer_metrics``) and judges again every gate the run judged on
its own figure, by the bound the run recorded. Reported per gate and for all absolute gates
together: the share of resamples that clear them, beside the run's own verdict.

Two things flatter the shares and one does not. A bound met on every case (5/5) is cleared by
every resample, although five more cases could fail one; and another model of the same quality
(another draw of the training) varies on top of the cases, which a resample of one run's cases
cannot show. A statistic that noise biases upward on few cases (the calibration error over 30
cases, a sum of |accuracy - confidence| per bin) is biased once more by resampling, so its share
is too low; ``--leave-out confidence.ece`` keeps it out of the joint shares (the share with
every gate is reported beside them). A code guarantee
holds for any output and is always cleared, as it should be. Gates judged pair by pair against
a baseline (below production target) are not here: the paired regression test judges those.
"""

from __future__ import annotations

import json
import random
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

DEFAULT_RESAMPLES = 2000


def absolute_gates(results: dict[str, Any]) -> dict[str, list[tuple[str, Any]]]:
    """The gates the run judged on their own figure (pass or fail), per layer, with the bound
    it judged them by (as the run recorded it, so a later thresholds file does not move it)."""
    from josi.evals._thresholds import Bound

    out: dict[str, list[tuple[str, Any]]] = {}
    for layer, row in results["layers"].items():
        judged = []
        for gate in row["gates"]:
            if gate["status"] not in ("pass", "fail"):
                continue
            try:
                judged.append((gate["metric"], Bound.from_text(gate["bound"])))
            except ValueError:
                raise SystemExit(
                    f"{gate['metric']}: cannot read its bound {gate['bound']!r}"
                ) from None
        if judged:
            out[layer] = judged
    return out


def _by_scorers(records: list[dict[str, Any]]) -> dict[tuple[str, ...], list[dict[str, Any]]]:
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
    for record in records:
        groups[tuple(sorted(s["name"] for s in record.get("scores") or ()))].append(record)
    return groups


def headroom(
    results: dict[str, Any], *, resamples: int, seed: int, leave_out: frozenset[str] = frozenset()
) -> dict[str, Any]:
    """The share of case resamples in which each absolute gate, each layer's and all of them
    together are cleared; gates named in ``leave_out`` are reported but not in the joint
    shares."""
    from josi.evals._results import layer_metrics

    gates = absolute_gates(results)
    by_layer: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for record in results["records"]:
        by_layer[record["layer"]].append(record)
    for layer, layer_gates in gates.items():
        recorded = results["layers"][layer]["metrics"]
        again, _ = layer_metrics(layer, by_layer[layer])
        for metric, _bound in layer_gates:
            name = metric.partition(".")[2]
            if again.get(name) != recorded.get(name):
                raise SystemExit(
                    f"{metric}: the records give {again.get(name)}, the run recorded "
                    f"{recorded.get(name)}; these results were written by other code"
                )
    # Cases are drawn within groups that hold the same scorers, so that every metric keeps the
    # run's case count (a suite has five pushback cases; a resample must not have none).
    # Sorted by the scorers' names, so that the draws do not depend on the records' order.
    strata = {
        layer: [group for _, group in sorted(_by_scorers(by_layer[layer]).items())]
        for layer in gates
    }
    rng = random.Random(seed)
    cleared: dict[str, int] = defaultdict(int)
    layer_cleared: dict[str, int] = defaultdict(int)
    all_cleared = every_gate_cleared = 0
    for _ in range(resamples):
        every = True
        none_failed = True
        for layer in sorted(gates):
            drawn = [group[rng.randrange(len(group))] for group in strata[layer] for _ in group]
            metrics, _ = layer_metrics(layer, drawn)
            layer_ok = True
            for metric, bound in gates[layer]:
                if bound.holds(metrics.get(metric.partition(".")[2])):
                    cleared[metric] += 1
                else:
                    none_failed = False
                    layer_ok = layer_ok and metric in leave_out
            layer_cleared[layer] += layer_ok
            every = every and layer_ok
        all_cleared += every
        every_gate_cleared += none_failed
    per_gate = []
    for layer in sorted(gates):
        recorded = results["layers"][layer]
        intervals = recorded["details"].get("intervals", {})
        for metric, bound in gates[layer]:
            name = metric.partition(".")[2]
            interval = intervals.get(name) or {}
            per_gate.append(
                {
                    "metric": metric,
                    "bound": bound.text(),
                    "value": recorded["metrics"].get(name),
                    "count": f"{interval['k']}/{interval['n']}" if "k" in interval else None,
                    "passed": bound.holds(recorded["metrics"].get(name)),
                    "cleared_share": round(cleared[metric] / resamples, 4),
                }
            )
    return {
        "gguf_sha256": ((results.get("run") or {}).get("manifest") or {}).get("sha256"),
        "thresholds_file": Path(str(results.get("thresholds_file"))).name,
        "gates_failed": results.get("gates_failed", []),
        "absolute_gates": len(per_gate),
        "left_out_of_joint_shares": sorted(leave_out),
        "all_cleared_share": round(all_cleared / resamples, 4),
        "every_gate_cleared_share": round(every_gate_cleared / resamples, 4),
        "layers": {layer: round(layer_cleared[layer] / resamples, 4) for layer in sorted(gates)},
        "gates": per_gate,
    }


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "results", type=Path, nargs="+", help="results.json of gate runs, or their folders"
    )
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--resamples", type=int, default=DEFAULT_RESAMPLES)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--leave-out",
        action="append",
        default=[],
        metavar="METRIC",
        help="a gate (layer.metric) reported on its own but left out of the joint shares",
    )
    args = parser.parse_args(argv)
    if args.resamples < 1:
        raise SystemExit("--resamples must be at least 1")
    # A folder stands for its results.json, as load_results reads it.
    inputs = {(p / "results.json" if p.is_dir() else p).resolve() for p in args.results}
    if args.out.resolve() in inputs:
        raise SystemExit(f"{args.out}: is an input; choose another --out")
    from josi._errors import JosiError
    from josi.evals import load_results

    runs = []
    for path in args.results:
        try:
            results = load_results(path)
        except JosiError as exc:
            raise SystemExit(str(exc)) from None
        run = headroom(
            results,
            resamples=args.resamples,
            seed=args.seed,
            leave_out=frozenset(args.leave_out),
        )
        runs.append({"results": str(path), **run})
        counted = run["absolute_gates"] - len(
            {g["metric"] for g in run["gates"]} & set(args.leave_out)
        )
        verdict = ", ".join(run["gates_failed"])
        print(
            f"{path}: all {counted} absolute gates cleared in "
            f"{run['all_cleared_share']:.1%} of {args.resamples} resamples"
            + (
                f", all {run['absolute_gates']} in {run['every_gate_cleared_share']:.1%}"
                if counted != run["absolute_gates"]
                else ""
            )
            + f" (the run itself: {'failed ' + verdict if verdict else 'passed'})"
        )
        for gate in run["gates"]:
            if gate["cleared_share"] < 1.0:
                print(
                    f"  {gate['metric']:<36} {gate['count'] or gate['value']!s:>8} "
                    f"{gate['bound']:<8} cleared {gate['cleared_share']:.1%}"
                )
    from josi._io import atomic_write_text

    atomic_write_text(
        args.out,
        json.dumps(
            {
                "what": __doc__.split("\n\n")[2].replace("\n", " "),
                "command": "python -m benchmarks.gate_headroom " + " ".join(sys.argv[1:]),
                "resamples": args.resamples,
                "seed": args.seed,
                "runs": runs,
            },
            indent=1,
        )
        + "\n",
    )
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
