"""Merge per-case records into per-layer metrics, gates and one results document.

Aggregates are only gated when every case of a layer produced a record; a layer
run in part (``-k``, ``--lf``, an interrupted worker) is reported as partial with
its counts, and its gates read "not evaluated" instead of passing on a subset.
"""

from __future__ import annotations

import datetime as _dt
import math
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any

from josi.evals._action_dist import calibration_by_source, layer_action_distribution, served_source
from josi.evals._baseline import Baseline, regression_verdict
from josi.evals._calibration import ECE_BINS, reliability
from josi.evals._metrics_registry import CASE, LAYERS, METRICS
from josi.evals._records import recorded_score
from josi.evals._stats import wilson
from josi.evals._thresholds import Gate, Thresholds

RESULTS_VERSION = 1

# The layer metric over the cases' own verdicts: a case fails its test alone only when one
# failure fails this gate (see Thresholds.case_is_strict).
CASE_GATES: dict[str, str] = {
    layer: f"{layer}.{name}"
    for layer, table in METRICS.items()
    for name, metric in table.items()
    if metric.score == CASE and metric.aggregate == "rate"
}


@dataclass(frozen=True)
class GateResult:
    metric: str
    value: float | None
    bound: str
    production: str
    # "pass" | "fail" | "not evaluated" | "paired" (below target, judged against the
    # baseline case by case instead of by this figure)
    status: str
    below_production: bool
    todo: bool
    reason: str = ""


def _results(records: Iterable[Mapping[str, Any]], score: str) -> list[Mapping[str, Any]]:
    """The scorer result ``score`` of every record that holds one (CASE: the case's verdict)."""
    if score == CASE:
        return [{"passed": bool(r.get("passed"))} for r in records]
    return [found for r in records if (found := recorded_score(r, score)) is not None]


def _aggregate(kind: str, results: list[Mapping[str, Any]]) -> float | None:
    if not results:
        return None
    if kind == "rate":
        return sum(bool(r["passed"]) for r in results) / len(results)
    if kind == "mean":
        return sum(float(r["value"]) for r in results) / len(results)
    return float(sum(not r["passed"] for r in results))


def calibration(
    records: Iterable[Mapping[str, Any]],
    *,
    execute_above: float = 0.8,
    confirm_at_or_above: float = 0.5,
) -> dict[str, Any]:
    """ECE over 10 equal-width bins, and accuracy per confidence-gate bucket."""
    pairs = [
        (float(c["value"]), bool(r["passed"]))
        for r in records
        if (c := recorded_score(r, "confidence")) is not None and c["passed"]
    ]
    rel = reliability(pairs, ECE_BINS)
    buckets = []
    for name, test in (
        (f"execute (> {execute_above:g})", lambda c: c > execute_above),
        (
            f"confirm ({confirm_at_or_above:g}-{execute_above:g})",
            lambda c: confirm_at_or_above <= c <= execute_above,
        ),
        (f"clarify (< {confirm_at_or_above:g})", lambda c: c < confirm_at_or_above),
    ):
        inside = [ok for c, ok in pairs if test(c)]
        buckets.append(
            {
                "bucket": name,
                "n": len(inside),
                "accuracy": round(sum(inside) / len(inside), 4) if inside else None,
            }
        )
    high = buckets[0]["accuracy"]
    return {
        "ece": rel.to_dict()["ece"],
        "high_confidence_accuracy": high,
        "bins": rel.to_dict()["bins"],
        "buckets": buckets,
        "n": len(pairs),
    }


def layer_metrics(
    layer: str, records: list[Mapping[str, Any]]
) -> tuple[dict[str, float | None], dict[str, Any]]:
    """Aggregate metrics and descriptive details for one layer's records.

    ``details["intervals"]`` holds, for every rate, its count and 95% Wilson interval.
    """
    metrics: dict[str, float | None] = {}
    intervals: dict[str, Any] = {}
    for name, metric in METRICS[layer].items():
        if metric.score is None:
            continue
        results = _results(records, metric.score)
        value = _aggregate(metric.aggregate, results)
        metrics[name] = None if value is None else round(value, 4)
        if metric.aggregate == "rate":
            intervals[name] = wilson(
                sum(bool(r["passed"]) for r in results), len(results)
            ).to_dict()
        elif metric.aggregate == "failures":
            intervals[name] = {"k": int(value or 0), "n": len(results)}
    details: dict[str, Any] = {"intervals": intervals}
    if layer == "confidence":
        from josi.contracts import load_tool_dispatch

        gate = load_tool_dispatch()["confidence_gate"]
        cal = calibration(
            records,
            execute_above=gate["execute_above"],
            confirm_at_or_above=gate["confirm_at_or_above"],
        )
        metrics["ece"] = cal["ece"]
        metrics["high_confidence_accuracy"] = cal["high_confidence_accuracy"]
        details["calibration"] = cal  # of the served confidence: the profile's source, gated
        details["confidence_source"] = served_source(records)
        details["calibration_by_source"] = calibration_by_source(records)
    distribution = layer_action_distribution(records)
    if distribution:
        details["action_distribution"] = distribution
    if layer in ("schema", "confidence", "golden"):
        per_action: dict[str, list[bool]] = defaultdict(list)
        for r in records:
            want = (r.get("expected") or {}).get("request")
            action = recorded_score(r, "action")
            if want and action is not None:
                per_action[want["action"]].append(bool(action["passed"]))
        details["action_accuracy_by_action"] = {
            a: {"n": len(v), "accuracy": round(sum(v) / len(v), 4)}
            for a, v in sorted(per_action.items())
        }
    sampled = [r for r in records if r.get("samples")]
    if sampled:
        greedy = [bool(r["greedy_passed"]) for r in sampled]
        details["sampling"] = {
            "seeds": max(len(r["samples"]) for r in sampled),
            "greedy": wilson(sum(greedy), len(greedy)).to_dict(),
            "every_seed": wilson(sum(bool(r["passed"]) for r in sampled), len(sampled)).to_dict(),
            "flaky": sorted(r["id"] for r in sampled if r.get("flaky")),
        }
    by_tag: dict[str, list[bool]] = defaultdict(list)
    for r in records:
        for tag in r.get("tags", []):
            by_tag[tag].append(bool(r.get("passed")))
    details["pass_rate_by_tag"] = {
        t: {"n": len(v), "pass_rate": round(sum(v) / len(v), 4)} for t, v in sorted(by_tag.items())
    }
    return metrics, details


def case_rule(thresholds: Thresholds, layer: str) -> tuple[bool, str]:
    """Whether one failing case of ``layer`` fails its test, and if not, why not.

    A case fails alone exactly when that one failure would fail the layer's gate on the
    cases' own verdicts (every case must pass, at production target). Otherwise the
    failing case is shown as xfailed with its summary and the layer's gate decides.
    """
    metric = CASE_GATES.get(layer)
    gate = thresholds.gate(metric) if metric else None
    if gate is None:
        return False, f"{layer} cases are judged by the layer's aggregate gates"
    if gate.below_production:
        return False, f"below production target ({metric} {gate.production.text()})"
    if gate.bound.op == ">=" and gate.bound.value >= 1.0:
        return True, ""
    return False, f"within the layer's gate {metric} {gate.bound.text()}"


def evaluate_gate(
    gate: Gate, value: float | None, complete: bool, *, paired: bool = False
) -> GateResult:
    if not complete:
        status, reason = "not evaluated", "partial run: not every case of this layer ran"
    elif paired and gate.below_production:
        status, reason = (
            "paired",
            "below production target: judged case by case against the baseline",
        )
    elif value is None or (isinstance(value, float) and math.isnan(value)):
        status, reason = "fail", "no case produced this metric"
    else:
        status = "pass" if gate.bound.holds(value) else "fail"
        reason = ""
    return GateResult(
        gate.metric,
        value,
        gate.bound.text(),
        gate.production.text(),
        status,
        gate.below_production,
        gate.todo,
        reason or gate.note,
    )


def build_results(
    records: list[Mapping[str, Any]],
    *,
    thresholds: Thresholds,
    case_ids: Mapping[str, Iterable[str]],
    run: Mapping[str, Any] | None = None,
    baseline: Baseline | None = None,
) -> dict[str, Any]:
    """The results document: per-layer metrics and gates, plus every record.

    ``case_ids`` maps each layer to the ids of all its cases, so completeness is
    judged against the case files, not against whatever happened to run. With a
    ``baseline`` (a profile below its production targets), the below-target figures are
    reported and the paired regression test against the baseline gates instead.
    """
    by_layer: dict[str, list[Mapping[str, Any]]] = defaultdict(list)
    seen: set[tuple[str, str]] = set()
    duplicates = []
    for record in records:
        key = (record["layer"], record["id"])
        if key in seen:
            duplicates.append(key)
            continue
        seen.add(key)
        by_layer[record["layer"]].append(record)
    layers: dict[str, Any] = {}
    all_gates: list[GateResult] = []
    for layer in LAYERS:
        recs = by_layer.get(layer, [])
        if not recs:
            continue
        expected = set(case_ids.get(layer, ()))
        got = {r["id"] for r in recs}
        unknown = sorted(got - expected)
        missing = sorted(expected - got)
        complete = not missing and not unknown
        metrics, details = layer_metrics(layer, recs)
        gates = [
            evaluate_gate(
                g, metrics.get(g.metric.partition(".")[2]), complete, paired=baseline is not None
            )
            for g in thresholds.for_layer(layer)
        ]
        all_gates += gates
        layers[layer] = {
            "cases_total": len(expected),
            "cases_run": len(recs),
            "complete": complete,
            "missing": missing[:50],
            "unknown": unknown,
            "passed": sum(bool(r.get("passed")) for r in recs),
            "failed": sum(not r.get("passed") for r in recs),
            "violations": sum(bool(r.get("violations")) for r in recs),
            "metrics": metrics,
            "details": details,
            "gates": [asdict(g) for g in gates],
        }
    evaluated = [g for g in all_gates if g.status in ("pass", "fail")]
    gates_failed = [g.metric for g in evaluated if g.status == "fail"]
    regression = None
    if baseline is not None:
        complete_layers = [layer for layer, row in layers.items() if row["complete"]]
        regression = regression_verdict(
            records,
            baseline,
            alpha=thresholds.compare_alpha,
            layers=complete_layers,
            non_inferiority=thresholds.non_inferiority,
            discordance=thresholds.discordance,
            samples=((run or {}).get("sampling") or {}).get("samples"),
        )
        gates_failed += [f"regression.{layer}" for layer in regression["blocked"]]
    return {
        "version": RESULTS_VERSION,
        "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "profile": thresholds.profile,
        "thresholds_file": str(thresholds.path),
        "run": dict(run or {}),
        "gates_failed": gates_failed,
        "gates_not_evaluated": [g.metric for g in all_gates if g.status == "not evaluated"],
        "below_production_target": [
            {"metric": g.metric, "bound": g.bound, "production": g.production, "todo": g.todo}
            for g in all_gates
            if g.below_production
        ],
        "regression": regression,
        "duplicates": [f"{layer}:{cid}" for layer, cid in duplicates],
        "fragile": [
            f"{layer}:{cid}"
            for layer, data in layers.items()
            for cid in data["details"].get("action_distribution", {}).get("fragile", [])
        ],
        "layers": layers,
        "records": list(records),
    }


def record_summary(results: Mapping[str, Any]) -> dict[str, Any]:
    """Run-wide cost figures from the records (used by the bake-off)."""
    recs = results.get("records", [])
    latency = sum(r.get("latency_s", 0.0) for r in recs)
    tokens = sum(r.get("completion_tokens", 0) for r in recs)
    lat = sorted(r.get("latency_s", 0.0) for r in recs)
    p50 = lat[len(lat) // 2] if lat else None
    return {
        "cases": len(recs),
        "latency_s_total": round(latency, 3),
        "latency_s_p50": p50,
        "completion_tokens": tokens,
        "tokens_per_s": round(tokens / latency, 2) if latency > 0 else None,
        "peak_rss_kb": max((r.get("peak_rss_kb", 0) for r in recs), default=0),
    }
