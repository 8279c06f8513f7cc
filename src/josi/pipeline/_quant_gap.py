"""Quantization cost after the gate: where the shipped quant is measurably worse than its F16,
which other quant of the profile's list closes the gap, measured on the same cases.

The gate compares the shipped quant with its F16 case by case. A layer has a *gap* when the
95% interval of the paired rate difference (shipped - F16) lies entirely below zero. Only then
are the profile's other quants (``export.quants`` without the shipped one and F16) run through
the same suites, greedy, and each is paired with the F16 the same way: a quant *closes* a gap
when its interval for that layer no longer lies below zero. Nothing is assumed from bit widths.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def gaps(reference: Mapping[str, Any], candidate: Mapping[str, Any], alpha: float) -> dict:
    """Layers whose paired difference (candidate - reference) has its 95% interval below 0."""
    from josi.evals import compare_results

    cmp = compare_results(reference, candidate, alpha=alpha)
    return {
        layer: {
            "difference_ci95": row["difference_ci95"],
            "regressed": row["regressed"],
            "fixed": row["fixed"],
            "paired": row["paired"],
        }
        for layer, row in sorted(cmp["layers"].items())
        if row["difference_ci95"][1] < 0
    }


def gap_report(
    shipped_quant: str,
    reference: Mapping[str, Any],
    shipped: Mapping[str, Any],
    others: Mapping[str, Mapping[str, Any]],
    alpha: float,
) -> dict[str, Any]:
    """The shipped quant's gaps against F16 and, per gap, which measured quants close it."""
    found = gaps(reference, shipped, alpha)
    measured = {quant: gaps(reference, results, alpha) for quant, results in others.items()}
    return {
        "shipped": shipped_quant,
        "gaps": found,
        "measured": sorted(others),
        "closes": {
            layer: sorted(quant for quant, left in measured.items() if layer not in left)
            for layer in found
        },
    }


def format_gap_report(report: Mapping[str, Any]) -> list[str]:
    shipped = report["shipped"]
    if not report["gaps"]:
        return [f"[ship] {shipped} against F16: no layer measurably worse (95% intervals)"]
    lines = []
    for layer, gap in report["gaps"].items():
        low, high = gap["difference_ci95"]
        line = (
            f"[ship] {layer}: {shipped} is measurably worse than F16 "
            f"({gap['regressed']} pass->fail, {gap['fixed']} fail->pass of {gap['paired']}; "
            f"difference [{low:+.3f}, {high:+.3f}])"
        )
        if not report["measured"]:
            line += "; no other quant in export.quants to measure (add one, such as Q8_0)"
        elif report["closes"][layer]:
            line += "; closed by " + ", ".join(report["closes"][layer]) + " (measured)"
        else:
            line += "; none of " + ", ".join(report["measured"]) + " closes it (measured)"
        lines.append(line)
    return lines
