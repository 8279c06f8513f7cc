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

from josi.evals._baseline import Baseline, regression_verdict
from josi.evals._action_dist import calibration_by_source, layer_action_distribution, served_source
from josi.evals._calibration import ECE_BINS, reliability
from josi.evals._metrics_registry import LAYERS
from josi.evals._stats import wilson
from josi.evals._thresholds import Gate, Thresholds

RESULTS_VERSION = 1

# metric -> (aggregation, fact); "rate" = share of True, "mean" = mean of numbers,
# "count_false" = number of False; confidence metrics are computed apart.
METRIC_SOURCES: dict[str, tuple[str, str]] = {
    "schema.valid_json_rate": ("rate", "valid_json"),
    "schema.action_accuracy": ("rate", "action_ok"),
    "schema.field_accuracy": ("mean", "field_accuracy"),
    "contract.pass_rate": ("rate", "passed"),
    "contract.i6_refusal_rate": ("rate", "i6"),
    "contract.pushback_rate": ("rate", "pushback"),
    "contract.invented_number_count": ("count_false", "grounded"),
    "contract.tier_gating_rate": ("rate", "tier"),
    "contract.zone_cap_rate": ("rate", "zone_cap"),
    "contract.red_flag_rate": ("rate", "red_flag"),
    "quality.coach_pass_rate": ("rate", "passed"),
    "quality.warmth_mean": ("mean", "warmth"),
    "quality.brevity_mean": ("mean", "brevity"),
    "quality.leak_count": ("count_false", "no_leak"),
    "quality.jargon_free_rate": ("rate", "jargon_free"),
    "quality.repetition_free_rate": ("rate", "repetition_free"),
    "quality.governor_rate": ("rate", "governor"),
    "quality.language_match_rate": ("rate", "lang"),
    "grounding.pass_rate": ("rate", "passed"),
    "grounding.reference_rate": ("rate", "references_gatc"),
    "grounding.grounded_number_rate": ("rate", "grounded"),
    "memory.pass_rate": ("rate", "passed"),
    "memory.natural_use_rate": ("rate", "memory"),
    "memory.invented_fact_count": ("count_false", "no_invented_fact"),
    "memory.newer_fact_rate": ("rate", "newer_fact"),
    "confidence.confidence_present_rate": ("rate", "confidence_present"),
    "golden.pass_rate": ("rate", "passed"),
}


# The layer metric whose fact is the case's own verdict ("passed"): a case fails its
# test alone only when one failure fails this gate (see Thresholds.case_is_strict).
CASE_GATES: dict[str, str] = {name.partition(".")[0]: name for name, (kind, fact) in
                              METRIC_SOURCES.items() if kind == "rate" and fact == "passed"}


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


def _facts(records: Iterable[Mapping[str, Any]], fact: str) -> list[Any]:
    return [r["facts"][fact] for r in records if r.get("facts", {}).get(fact) is not None]


def _aggregate(kind: str, values: list[Any]) -> float | None:
    if not values:
        return None
    if kind == "rate":
        return sum(bool(v) for v in values) / len(values)
    if kind == "mean":
        return sum(float(v) for v in values) / len(values)
    return float(sum(not v for v in values))


def calibration(records: Iterable[Mapping[str, Any]], *, execute_above: float = 0.8,
                confirm_at_or_above: float = 0.5) -> dict[str, Any]:
    """ECE over 10 equal-width bins, and accuracy per confidence-gate bucket."""
    pairs = [(float(r["facts"]["confidence"]), bool(r["facts"]["passed"]))
             for r in records if r.get("facts", {}).get("confidence") is not None]
    rel = reliability(pairs, ECE_BINS)
    buckets = []
    for name, test in (
        (f"execute (> {execute_above:g})", lambda c: c > execute_above),
        (f"confirm ({confirm_at_or_above:g}-{execute_above:g})", lambda c: confirm_at_or_above <= c <= execute_above),
        (f"clarify (< {confirm_at_or_above:g})", lambda c: c < confirm_at_or_above),
    ):
        inside = [ok for c, ok in pairs if test(c)]
        buckets.append({"bucket": name, "n": len(inside),
                        "accuracy": round(sum(inside) / len(inside), 4) if inside else None})
    high = buckets[0]["accuracy"]
    return {"ece": rel.to_dict()["ece"], "high_confidence_accuracy": high,
            "bins": rel.to_dict()["bins"], "buckets": buckets, "n": len(pairs)}


def layer_metrics(layer: str, records: list[Mapping[str, Any]]) -> tuple[dict[str, float | None], dict[str, Any]]:
    """Aggregate metrics and descriptive details for one layer's records.

    ``details["intervals"]`` holds, for every rate, its count and 95% Wilson interval.
    """
    metrics: dict[str, float | None] = {}
    intervals: dict[str, Any] = {}
    for name, (kind, fact) in METRIC_SOURCES.items():
        if name.startswith(layer + "."):
            values = _facts(records, fact)
            value = _aggregate(kind, values)
            metric = name.partition(".")[2]
            metrics[metric] = None if value is None else round(value, 4)
            if kind == "rate":
                intervals[metric] = wilson(sum(bool(v) for v in values), len(values)).to_dict()
            elif kind == "count_false":
                intervals[metric] = {"k": int(value or 0), "n": len(values)}
    details: dict[str, Any] = {"intervals": intervals}
    if layer == "confidence":
        from josi.contracts import load_tool_dispatch

        gate = load_tool_dispatch()["confidence_gate"]
        cal = calibration(records, execute_above=gate["execute_above"],
                          confirm_at_or_above=gate["confirm_at_or_above"])
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
            if want and r["facts"].get("action_ok") is not None:
                per_action[want["action"]].append(bool(r["facts"]["action_ok"]))
        details["action_accuracy_by_action"] = {
            a: {"n": len(v), "accuracy": round(sum(v) / len(v), 4)} for a, v in sorted(per_action.items())
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
    details["pass_rate_by_tag"] = {t: {"n": len(v), "pass_rate": round(sum(v) / len(v), 4)}
                                   for t, v in sorted(by_tag.items())}
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


def evaluate_gate(gate: Gate, value: float | None, complete: bool, *, paired: bool = False) -> GateResult:
    if not complete:
        status, reason = "not evaluated", "partial run: not every case of this layer ran"
    elif paired and gate.below_production:
        status, reason = "paired", "below production target: judged case by case against the baseline"
    elif value is None or (isinstance(value, float) and math.isnan(value)):
        status, reason = "fail", "no case produced this metric"
    else:
        status = "pass" if gate.bound.holds(value) else "fail"
        reason = ""
    return GateResult(gate.metric, value, gate.bound.text(), gate.production.text(), status,
                      gate.below_production, gate.todo, reason or gate.note)


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
        gates = [evaluate_gate(g, metrics.get(g.metric.partition(".")[2]), complete,
                               paired=baseline is not None)
                 for g in thresholds.for_layer(layer)]
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
        regression = regression_verdict(records, baseline, alpha=thresholds.compare_alpha,
                                        layers=complete_layers)
        gates_failed += [f"regression.{layer}" for layer in regression["blocked"]]
    return {
        "version": RESULTS_VERSION,
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "profile": thresholds.profile,
        "thresholds_file": str(thresholds.path),
        "run": dict(run or {}),
        "gates_failed": gates_failed,
        "gates_not_evaluated": [g.metric for g in all_gates if g.status == "not evaluated"],
        "below_production_target": [
            {"metric": g.metric, "bound": g.bound, "production": g.production, "todo": g.todo}
            for g in all_gates if g.below_production
        ],
        "regression": regression,
        "duplicates": [f"{layer}:{cid}" for layer, cid in duplicates],
        "fragile": [f"{layer}:{cid}" for layer, data in layers.items()
                    for cid in data["details"].get("action_distribution", {}).get("fragile", [])],
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
