"""The report's derived sections, each a pure function of the results document.

The HTML template only lays these out; every figure it shows is computed here, from
``results.json`` data (layer details, records) or a paired comparison, so each section is
testable on a few synthetic rows and a re-rendered report (``josi report``) shows the same.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from josi.evals._records import recorded_score

NO_REQUEST = "(no valid request)"

# Reliability-diagram geometry in SVG user units: a square plot with room for the axis labels.
PLOT = 200
MARGIN = 32


def case_reason(record: Mapping[str, Any]) -> str:
    """Why a case failed, in one line: violations, failed checks, then failed sampled runs."""
    failed_checks = [
        f"{c['name']}: {c['reason']}" for c in record.get("checks", []) if not c["passed"]
    ]
    return "; ".join(
        [*record.get("violations", []), *failed_checks, *record.get("sample_failures", [])]
    )


def _bin_edges(text: str) -> tuple[float, float]:
    lo, _, hi = text.partition("-")
    return float(lo), float(hi)


def _diagram(bins: list[Mapping[str, Any]]) -> dict[str, Any]:
    """SVG coordinates: accuracy bars per bin, the mean-confidence tick and the diagonal."""

    def x(v: float) -> float:
        return round(MARGIN + v * PLOT, 1)

    def y(v: float) -> float:
        return round(MARGIN + (1.0 - v) * PLOT, 1)

    bars = []
    for b in bins:
        lo, hi = _bin_edges(b["range"])
        bars.append(
            {
                "x": x(lo),
                "width": round((hi - lo) * PLOT, 1),
                "y": y(b["accuracy"]),
                "height": round(b["accuracy"] * PLOT, 1),
                "conf_y": y(b["confidence"]),
                "title": f"{b['range']}: n={b['n']}, confidence {b['confidence']:.3f}, "
                f"accuracy {b['accuracy']:.3f}",
            }
        )
    ticks = [{"value": f"{v:g}", "x": x(v), "y": y(v)} for v in (0.0, 0.5, 1.0)]
    return {
        "size": PLOT + 2 * MARGIN,
        "left": x(0.0),
        "right": x(1.0),
        "top": y(1.0),
        "bottom": y(0.0),
        "bars": bars,
        "ticks": ticks,
    }


def reliability_diagrams(details: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One reliability diagram per confidence source of a layer; empty when it has none.

    Each source (``calibration_by_source``: "self", "action_probability") gives its ECE, its
    non-empty bins with the gap |accuracy - mean confidence|, and the diagram's geometry.
    Results without per-source figures fall back to the served source's calibration.
    """
    served = details.get("confidence_source")
    sources = details.get("calibration_by_source")
    if not sources and details.get("calibration"):
        sources = {served or "served": details["calibration"]}
    diagrams = []
    for source, cal in (sources or {}).items():
        bins = [b for b in cal.get("bins", []) if b.get("n")]
        if not bins:
            continue
        rows = [dict(b, gap=round(abs(b["accuracy"] - b["confidence"]), 4)) for b in bins]
        diagrams.append(
            {
                "source": source,
                "served": source == served,
                "ece": cal.get("ece"),
                "n": cal.get("n"),
                "bins": rows,
                "svg": _diagram(bins),
            }
        )
    return diagrams


def _predicted_action(record: Mapping[str, Any], expected: str) -> str:
    action = recorded_score(record, "action")
    if action is not None and action["passed"]:
        return expected
    valid = recorded_score(record, "valid_json")
    request = record.get("request")
    if (
        (valid is not None and not valid["passed"])
        or not isinstance(request, Mapping)
        or not request.get("action")
    ):
        return NO_REQUEST
    return str(request["action"])


def _ordered(labels: Iterable[str]) -> list[str]:
    """The schema's action order, so the table reads the same whatever cases a run holds."""
    from josi.contracts import ACTIONS

    labels = set(labels)
    known = [a for a in ACTIONS if a in labels]
    rest = sorted(labels - set(ACTIONS) - {NO_REQUEST})
    return known + rest + ([NO_REQUEST] if NO_REQUEST in labels else [])


def action_confusion(records: Iterable[Mapping[str, Any]]) -> dict[str, Any] | None:
    """Expected against predicted ``action`` over the cases whose interpreter output was scored.

    The cases are those ``action_accuracy_by_action`` counts (an expected request and an
    ``action`` score), so each row's recall is that table's accuracy. A request that was
    not valid is its own column. None when no case qualifies.
    """
    pairs = []
    for r in records:
        want = ((r.get("expected") or {}).get("request") or {}).get("action")
        if want and recorded_score(r, "action") is not None:
            pairs.append((want, _predicted_action(r, want)))
    if not pairs:
        return None
    expected = _ordered(e for e, _ in pairs)
    predicted = _ordered([*expected, *(p for _, p in pairs)])
    rows = []
    for e in expected:
        cells = [sum(1 for pe, pp in pairs if pe == e and pp == p) for p in predicted]
        total = sum(cells)
        hit = cells[predicted.index(e)]
        rows.append(
            {
                "expected": e,
                "cells": [
                    {"n": n, "diagonal": p == e} for n, p in zip(cells, predicted, strict=False)
                ],
                "n": total,
                "correct": hit,
                "recall": round(hit / total, 4),
            }
        )
    correct = sum(r["correct"] for r in rows)
    return {
        "predicted": predicted,
        "rows": rows,
        "n": len(pairs),
        "correct": correct,
        "accuracy": round(correct / len(pairs), 4),
    }


def _flip_rows(
    keys: Iterable[str], records: Mapping[tuple[str, str], Mapping[str, Any]], *, failing: bool
) -> list[dict[str, Any]]:
    rows = []
    for key in keys:
        layer, _, cid = key.partition(":")
        record = records.get((layer, cid), {})
        # A case that passes now may still carry checks its verdict does not count: no reason.
        rows.append(
            {
                "layer": layer,
                "id": cid,
                "message": record.get("message", ""),
                "reason": case_reason(record) if failing and record else "",
            }
        )
    return rows


def comparison_flips(
    comparison: Mapping[str, Any] | None, records: Iterable[Mapping[str, Any]]
) -> dict[str, Any] | None:
    """The cases that flipped between the compared run (A) and this run (B), with the paired
    figures.

    ``comparison`` is ``compare_results(A, B)``; a results file keeps it without its per-layer
    rows, in which case only the overall figures show. ``records`` are this run's, for each
    flipped case's message and, for pass->fail, why it fails now. None without a comparison.
    """
    if not comparison:
        return None
    by_key = {(r["layer"], r["id"]): r for r in records}
    layers = [
        {
            "layer": layer,
            "paired": row["paired"],
            "regressed": row["regressed"],
            "fixed": row["fixed"],
            "p_value": row.get("p_value"),
            "difference_ci95": row.get("difference_ci95"),
            "detectable": row.get("smallest_detectable_difference"),
        }
        for layer, row in (comparison.get("layers") or {}).items()
    ]
    return {
        "a": comparison.get("a"),
        "b": comparison.get("b"),
        "paired": comparison.get("paired"),
        "p_value": comparison.get("p_value"),
        "alpha": comparison.get("alpha"),
        "significant_regression": bool(comparison.get("significant_regression")),
        "layers": layers,
        "regressed": _flip_rows(comparison.get("regressed", []), by_key, failing=True),
        "fixed": _flip_rows(comparison.get("fixed", []), by_key, failing=False),
    }
