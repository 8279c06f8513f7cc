"""The action distribution in the evals: per-case facts, per-layer figures, report lines.

Each interpreter call is scored over the five actions (``JosiRuntime`` with
``score_actions``). A record keeps that distribution and derives from it:
- the confidence each source would serve: the model's own number ("self") and P(chosen
  action) on the grammar's 0.05 steps ("action_probability"), as the router would see them;
- the probability that the shipped sampler (the ``RuntimeConfig`` defaults for the
  interpreter) writes the expected action, computed exactly from the distribution.
A layer then reports greedy action accuracy next to the expected accuracy under that sampler,
the fragile cases (expected action below ``FRAGILE_BELOW`` under it), and the calibration of
both confidence sources.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from functools import cache
from typing import Any

from josi.evals._calibration import (
    FRAGILE_BELOW,
    SamplerSettings,
    expected_accuracy,
    fragile,
    reliability,
    sampler_distribution,
)
from josi.evals._records import recorded_score

SOURCES: tuple[str, ...] = ("self", "action_probability")


@cache
def shipped_interpreter_sampler() -> SamplerSettings:
    """The interpreter's sampler as the app runs it: the RuntimeConfig field defaults."""
    from josi.runtime import RuntimeConfig

    default = {f.name: f.default for f in dataclasses.fields(RuntimeConfig)}
    return SamplerSettings(
        temperature=default["interpreter_temperature"],
        top_p=default["top_p"],
        top_k=default["top_k"],
        min_p=default["min_p"],
    )


def action_facts(
    probs: Mapping[str, float] | None,
    *,
    predicted: str | None,
    expected: str | None,
    self_confidence: float | None,
) -> dict[str, Any]:
    """The per-case facts of one interpreter call (no distribution facts when it was not scored)."""
    from josi.contracts import round_confidence

    by_source: dict[str, float | None] = {"self": self_confidence, "action_probability": None}
    facts: dict[str, Any] = {"action_probs": None, "confidence_by_source": by_source}
    if not probs:
        return facts
    facts["action_probs"] = {a: round(p, 6) for a, p in probs.items()}
    if predicted in probs:
        by_source["action_probability"] = round_confidence(probs[predicted])
    if expected in probs:
        p = sampler_distribution(probs, shipped_interpreter_sampler())[expected]
        facts["p_expected_sampled"] = round(p, 6)
        facts["fragile"] = fragile(p)
    return facts


def layer_action_distribution(records: Iterable[Mapping[str, Any]]) -> dict[str, Any] | None:
    """Greedy vs expected action accuracy under the shipped sampler, and the fragile cases."""
    scored = [
        (r, action)
        for r in records
        if r.get("facts", {}).get("p_expected_sampled") is not None
        and (action := recorded_score(r, "action")) is not None
    ]
    if not scored:
        return None
    greedy = sum(bool(action["passed"]) for _, action in scored) / len(scored)
    expected = expected_accuracy([float(r["facts"]["p_expected_sampled"]) for r, _ in scored])
    fragile_ids = sorted(r["id"] for r, _ in scored if r["facts"].get("fragile"))
    return {
        "n": len(scored),
        "greedy_action_accuracy": round(greedy, 4),
        "expected_action_accuracy": round(expected, 4) if expected is not None else None,
        "sampler": dataclasses.asdict(shipped_interpreter_sampler()),
        "fragile_below": FRAGILE_BELOW,
        "fragile": fragile_ids,
    }


def calibration_by_source(records: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """ECE and the reliability table of each confidence source, over the same outcome (passed)."""
    records = list(records)
    out = {}
    for source in SOURCES:
        pairs = []
        for r in records:
            value = (r.get("facts", {}).get("confidence_by_source") or {}).get(source)
            if value is not None:
                pairs.append((float(value), bool(r["passed"])))
        out[source] = reliability(pairs).to_dict()
    return out


def served_source(records: Iterable[Mapping[str, Any]]) -> str | None:
    """The confidence source the runtime served in these records (None if unknown or mixed)."""
    sources = {r.get("facts", {}).get("confidence_source") for r in records}
    return sources.pop() if len(sources) == 1 else None


def distribution_text(probs: Mapping[str, float] | None) -> str:
    """The distribution most likely first, for a report line: ``explain 0.81, replan 0.12, ...``."""
    if not probs:
        return "not scored"
    ranked = sorted(probs.items(), key=lambda kv: -kv[1])
    return ", ".join(f"{a} {p:.3f}" for a, p in ranked)


def summary_lines(layer: str, details: Mapping[str, Any]) -> list[str]:
    """Terminal lines for one layer: greedy vs sampled accuracy, fragile cases, ECE per source."""
    lines = []
    dist = details.get("action_distribution")
    if dist:
        shown = ", ".join(dist["fragile"][:12]) + (" ..." if len(dist["fragile"]) > 12 else "")
        lines.append(
            f"    action accuracy: greedy {dist['greedy_action_accuracy']:.4g}, expected under the "
            f"shipped sampler {dist['expected_action_accuracy']:.4g} (n={dist['n']}); "
            f"fragile (P < {dist['fragile_below']:g}): {len(dist['fragile'])}"
            + (f": {shown}" if dist["fragile"] else "")
        )
    by_source = details.get("calibration_by_source")
    if by_source:
        served = details.get("confidence_source")
        parts = [
            f"{s}{' (served)' if s == served else ''} {_num(c['ece'])} (n={c['n']})"
            for s, c in by_source.items()
        ]
        lines.append("    ECE by confidence source: " + ", ".join(parts))
    return lines


def _num(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.4g}"
