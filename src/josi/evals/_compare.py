"""Paired comparison of two result files: per-case flips and the exact McNemar test.

Both runs answer the same cases, so a model change is judged on the discordant
pairs only (b = passed in A, failed in B; c = failed in A, passed in B). Under no
difference each discordant pair is a fair coin: p = P(X <= min(b, c)) * 2 for
X ~ Binomial(b + c, 1/2), capped at 1.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from josi._errors import ContractError
from josi._io import read_text
from josi.evals._metrics_registry import CASE, METRICS
from josi.evals._records import recorded_outcome, recorded_score
from josi.evals._stats import (
    mcnemar_exact,
    paired_difference_interval,
    smallest_detectable_difference,
    wilson,
)


def load_results(path: str | Path) -> dict[str, Any]:
    path = Path(path)
    if path.is_dir():
        path = path / "results.json"
    try:
        data = json.loads(read_text(path))
    except (OSError, json.JSONDecodeError) as exc:
        raise ContractError(f"cannot read results {path}: {exc}") from exc
    if not isinstance(data, dict) or "records" not in data or "layers" not in data:
        raise ContractError(f"{path} is not a josi results file (no records/layers)")
    data.setdefault("_path", str(path))
    return data


def _sampled(results: Mapping[str, Any]) -> int:
    """How many sampler seeds a run judged each case under (0: greedy only)."""
    return max((len(r.get("samples") or ()) for r in results["records"]), default=0)


def compare_results(
    a: Mapping[str, Any], b: Mapping[str, Any], *, alpha: float = 0.05
) -> dict[str, Any]:
    """Flips, McNemar p-values (overall and per layer) and metric deltas, A -> B.

    Outcomes are compared like with like: a case passes under the shipped sampler only if
    greedy decoding and every seed pass, so when only one run sampled, both are judged on
    their greedy outcome (the flaky cases would otherwise count as flips).
    """
    greedy = _sampled(a) != _sampled(b)
    rec_a = {(r["layer"], r["id"]): recorded_outcome(r, greedy=greedy) for r in a["records"]}
    rec_b = {(r["layer"], r["id"]): recorded_outcome(r, greedy=greedy) for r in b["records"]}
    shared = sorted(set(rec_a) & set(rec_b))
    layers: dict[str, dict[str, Any]] = {}
    regressions, fixes = [], []
    for key in shared:
        layer, cid = key
        row = layers.setdefault(
            layer, {"paired": 0, "both_pass": 0, "both_fail": 0, "regressed": 0, "fixed": 0}
        )
        row["paired"] += 1
        pa, pb = rec_a[key], rec_b[key]
        if pa and pb:
            row["both_pass"] += 1
        elif not pa and not pb:
            row["both_fail"] += 1
        elif pa:
            row["regressed"] += 1
            regressions.append(f"{layer}:{cid}")
        else:
            row["fixed"] += 1
            fixes.append(f"{layer}:{cid}")
    for layer, row in layers.items():
        row.update(_paired_test(row["regressed"], row["fixed"], row["paired"]))
        detectable = smallest_detectable_difference(row["paired"], alpha)
        row["smallest_detectable_difference"] = None if detectable is None else round(detectable, 4)
        ma = a["layers"].get(layer, {}).get("metrics", {})
        mb = b["layers"].get(layer, {}).get("metrics", {})
        row["metric_deltas"] = {
            m: {
                "a": ma.get(m),
                "b": mb.get(m),
                "delta": None
                if ma.get(m) is None or mb.get(m) is None
                else round(mb[m] - ma[m], 4),
            }
            for m in sorted(set(ma) | set(mb))
        }
        row["metric_flips"] = metric_flips(layer, a["records"], b["records"], alpha=alpha)
    p = mcnemar_exact(len(regressions), len(fixes))
    detectable = smallest_detectable_difference(len(shared), alpha)
    distributions = distribution_agreement(a["records"], b["records"])
    return {
        "a": a.get("_path", a.get("run", {}).get("gguf", "A")),
        "b": b.get("_path", b.get("run", {}).get("gguf", "B")),
        "paired": len(shared),
        "outcome": "greedy" if greedy else "as gated",
        "only_in_a": len(set(rec_a) - set(rec_b)),
        "only_in_b": len(set(rec_b) - set(rec_a)),
        "regressed": regressions,
        "fixed": fixes,
        "p_value": round(p, 6),
        "alpha": alpha,
        "smallest_detectable_difference": None if detectable is None else round(detectable, 4),
        "significant_regression": p < alpha and len(regressions) > len(fixes),
        "layers": layers,
        "action_distribution": distributions,
    }


def metric_flips(
    layer: str,
    records_a: list[Mapping[str, Any]],
    records_b: list[Mapping[str, Any]],
    *,
    alpha: float = 0.05,
) -> dict[str, dict[str, Any]]:
    """Per-case flips of each of ``layer``'s metrics that aggregate one scorer's pass or fail.

    A case's verdict pairs the layer; a metric gated on its own figure (the served action, the
    replies free of repetition) pairs its scorer's result on the cases both runs scored, so a
    change in that figure can be told from the few cases it rests on. Scorer results are the
    greedy decoding's in both runs, as the metric aggregates them.
    """
    found: dict[str, dict[str, Any]] = {}
    for name, metric in METRICS.get(layer, {}).items():
        if metric.score in (None, CASE) or metric.aggregate == "mean":
            continue
        scored_a = _scored(records_a, layer, metric.score)
        scored_b = _scored(records_b, layer, metric.score)
        shared = sorted(set(scored_a) & set(scored_b))
        if not shared:
            continue
        regressed = [cid for cid in shared if scored_a[cid] and not scored_b[cid]]
        fixed = [cid for cid in shared if scored_b[cid] and not scored_a[cid]]
        found[name] = {
            "paired": len(shared),
            "regressed": regressed,
            "fixed": fixed,
            **_paired_test(len(regressed), len(fixed), len(shared)),
            # On the unrounded p, as the layers' own verdict reads it.
            "significant_regression": mcnemar_exact(len(regressed), len(fixed)) < alpha
            and len(regressed) > len(fixed),
        }
    return found


def _paired_test(regressed: int, fixed: int, paired: int) -> dict[str, Any]:
    """The exact McNemar p and the paired difference's 95% interval of ``paired`` cases."""
    low, high = paired_difference_interval(regressed, fixed, paired)
    return {
        "p_value": round(mcnemar_exact(regressed, fixed), 6),
        "difference_ci95": [round(low, 4), round(high, 4)],
    }


def _scored(records: list[Mapping[str, Any]], layer: str, score: str) -> dict[str, bool]:
    return {
        r["id"]: bool(found["passed"])
        for r in records
        if r["layer"] == layer and (found := recorded_score(r, score)) is not None
    }


def _kl(p: Mapping[str, float], q: Mapping[str, float], floor: float = 1e-6) -> float:
    """KL(p || q) in nats over p's support; q is floored so a zero never gives infinity."""
    return sum(pi * math.log(pi / max(q.get(k, 0.0), floor)) for k, pi in p.items() if pi > 0)


def distribution_agreement(
    records_a: list[Mapping[str, Any]], records_b: list[Mapping[str, Any]]
) -> dict[str, Any] | None:
    """How far two models' action distributions lie apart on the interpreter calls both scored.

    Greedy outcomes hide a quantization's cost until a case flips; the distribution shows it
    earlier: top-1 agreement (same most likely action) and the mean KL divergence from A
    (the reference, e.g. the F16) to B, per case where both recorded P(action).
    """

    def probs(records: list[Mapping[str, Any]]) -> dict[tuple[str, str], Mapping[str, float]]:
        return {
            (r["layer"], r["id"]): r["facts"]["action_probs"]
            for r in records
            if (r.get("facts") or {}).get("action_probs")
        }

    pa, pb = probs(records_a), probs(records_b)
    shared = sorted(set(pa) & set(pb))
    if not shared:
        return None
    agree = sum(max(pa[k], key=pa[k].get) == max(pb[k], key=pb[k].get) for k in shared)
    kls = [_kl(pa[k], pb[k]) for k in shared]
    return {
        "cases": len(shared),
        "top1_agreement": wilson(agree, len(shared)).to_dict(),
        "mean_kl": round(sum(kls) / len(kls), 6),
        "max_kl": round(max(kls), 6),
    }


def _detectable_line(detectable: float | None, paired: int, alpha: float) -> str:
    if detectable is None:
        return f"{paired} paired cases cannot show any difference at alpha {alpha:g}"
    return (
        f"smallest difference {paired} paired cases can detect at alpha {alpha:g}: "
        f"{detectable:.3f} (every flip in one direction)"
    )


def format_comparison(cmp: Mapping[str, Any], *, max_cases: int = 20) -> str:
    lines = [
        f"A: {cmp['a']}",
        f"B: {cmp['b']}",
        f"paired cases {cmp['paired']} "
        f"(only in A {cmp['only_in_a']}, only in B {cmp['only_in_b']})"
        + (
            "; greedy outcomes compared (only one run sampled)"
            if cmp.get("outcome") == "greedy"
            else ""
        ),
        f"pass->fail {len(cmp['regressed'])}, fail->pass {len(cmp['fixed'])}, "
        f"exact McNemar p = {cmp['p_value']:.4g}"
        + ("  SIGNIFICANT REGRESSION" if cmp["significant_regression"] else ""),
        _detectable_line(cmp.get("smallest_detectable_difference"), cmp["paired"], cmp["alpha"]),
        "",
        f"{'layer':<11}{'paired':>7}{'pass->fail':>11}{'fail->pass':>11}{'p':>9}"
        f"{'difference [95% CI]':>24}{'detectable':>12}",
    ]
    for layer, row in cmp["layers"].items():
        low, high = row.get("difference_ci95", (float("nan"), float("nan")))
        diff = (row["fixed"] - row["regressed"]) / row["paired"] if row["paired"] else 0.0
        detectable = row.get("smallest_detectable_difference")
        lines.append(
            f"{layer:<11}{row['paired']:>7}{row['regressed']:>11}{row['fixed']:>11}"
            f"{row['p_value']:>9.3g}{f'{diff:+.3f} [{low:+.3f}, {high:+.3f}]':>24}"
            f"{'none' if detectable is None else f'{detectable:.3f}':>12}"
        )
    dist = cmp.get("action_distribution")
    if dist:
        top1 = dist["top1_agreement"]
        lines.append(
            f"action distribution on {dist['cases']} interpreter calls: top-1 agreement "
            f"{top1['k']}/{top1['n']} [{top1['low']:.2f}, {top1['high']:.2f}], "
            f"mean KL(A||B) {dist['mean_kl']:.4g} nats (max {dist['max_kl']:.4g})"
        )
    lines.append("")
    lines.append(
        "metric deltas (B - A)"
        + (
            ", each as its run gated it (pass rates of the sampled run count every seed):"
            if cmp.get("outcome") == "greedy"
            else ":"
        )
    )
    for layer, row in cmp["layers"].items():
        for metric, d in row["metric_deltas"].items():
            if d["delta"]:
                lines.append(f"  {layer}.{metric}: {d['a']} -> {d['b']} ({d['delta']:+g})")
    flipped = [
        (f"{layer}.{metric}", f)
        for layer, row in cmp["layers"].items()
        for metric, f in row.get("metric_flips", {}).items()
        if f["regressed"] or f["fixed"]
    ]
    if flipped:
        lines.append("")
        lines.append("metrics paired case by case (the scorer each aggregates, greedy):")
        for name, f in flipped:
            low, high = f["difference_ci95"]
            lines.append(
                f"  {name}: pass->fail {len(f['regressed'])}, fail->pass {len(f['fixed'])} of "
                f"{f['paired']}, exact McNemar p = {f['p_value']:.3g}, difference "
                f"[{low:+.3f}, {high:+.3f}]"
                + ("  SIGNIFICANT REGRESSION" if f["significant_regression"] else "")
            )
            if f["regressed"]:
                lines.append("    pass->fail: " + ", ".join(f["regressed"][:max_cases]))
    for title, ids in (("pass->fail", cmp["regressed"]), ("fail->pass", cmp["fixed"])):
        if ids:
            more = f" (+{len(ids) - max_cases} more)" if len(ids) > max_cases else ""
            lines.append(f"{title}: " + ", ".join(ids[:max_cases]) + more)
    return "\n".join(lines)
