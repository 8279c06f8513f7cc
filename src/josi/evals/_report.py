"""Render a results document: a self-contained HTML page and a terminal summary.

The page is the autoescaped Jinja2 template ``templates/report.html.j2``; the figures it lays out
come from ``josi.evals._sections`` and the layer data, never from the template itself.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

from josi._io import atomic_write_json, atomic_write_text
from josi.evals._action_dist import distribution_text, summary_lines
from josi.evals._sections import (
    action_confusion,
    case_reason,
    comparison_flips,
    reliability_diagrams,
)

BELOW = "below production target"
TEMPLATE = "report.html.j2"


def _fmt(value: Any) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def _interval_text(interval: Mapping[str, Any] | None) -> str:
    """``k/n [low, high]`` for a rate, ``n=N`` for a count; empty when unknown."""
    if not interval:
        return ""
    if "low" in interval:
        return f"{interval['k']}/{interval['n']} [{interval['low']:.2f}, {interval['high']:.2f}]"
    return f"n={interval['n']}"


def _gate_label(gate: Mapping[str, Any], interval: Mapping[str, Any] | None = None) -> str:
    label = (
        f"{gate['status'].upper():<14}{gate['metric']:<38}{_fmt(gate['value']):>8}"
        f"{_interval_text(interval):>22}  gate {gate['bound']}"
    )
    if gate["below_production"]:
        label += f"  [{BELOW}: production {gate['production']}"
        label += "; TODO: not measured yet]" if gate["todo"] else "]"
    if gate.get("reason") and gate["status"] != "pass":
        label += f"  ({gate['reason']})"
    return label


def terminal_summary(results: Mapping[str, Any], *, max_failures: int = 10) -> list[str]:
    """Plain-text lines for the end of a pytest run."""
    run = results.get("run", {})
    lines = [
        f"model: {run.get('gguf', '?')}   profile: {results['profile']}   "
        f"thresholds: {results['thresholds_file']}",
    ]
    for layer, data in results["layers"].items():
        part = (
            ""
            if data["complete"]
            else f"  PARTIAL: {data['cases_run']}/{data['cases_total']} cases, gates not evaluated"
        )
        lines.append(
            f"[{layer}] {data['passed']}/{data['cases_run']} cases passed"
            + (
                f", {data['violations']} with code-guarantee violations"
                if data["violations"]
                else ""
            )
            + part
        )
        intervals = data.get("details", {}).get("intervals", {})
        for gate in data["gates"]:
            lines.append(
                "    " + _gate_label(gate, intervals.get(gate["metric"].partition(".")[2]))
            )
        gated = {g["metric"].partition(".")[2] for g in data["gates"]}
        for metric, interval in intervals.items():
            if metric not in gated and interval.get("n"):
                lines.append(
                    f"    {'(not gated)':<14}{layer + '.' + metric:<38}"
                    f"{_fmt(data['metrics'].get(metric)):>8}{_interval_text(interval):>22}"
                )
        lines += sampling_lines(data.get("details", {}).get("sampling"))
        cal = data.get("details", {}).get("calibration")
        if cal:
            buckets = ", ".join(
                f"{b['bucket']}: n={b['n']} acc={_fmt(b['accuracy'])}" for b in cal["buckets"]
            )
            lines.append(f"    accuracy per confidence bucket: {buckets}")
        lines += summary_lines(layer, data.get("details", {}))
    failed = [r for r in results["records"] if not r.get("passed")]
    if failed:
        lines.append(f"failed cases ({len(failed)}):")
        for r in failed[:max_failures]:
            lines.append(f"    {r['layer']}:{r['id']}: {case_reason(r)[:160]}")
        if len(failed) > max_failures:
            lines.append(f"    ... {len(failed) - max_failures} more in the report")
    below = results.get("below_production_target", [])
    if below:
        lines.append(f"{BELOW} ({len(below)} gates): " + ", ".join(b["metric"] for b in below))
    lines += regression_lines(results.get("regression"))
    if results["gates_failed"]:
        lines.append("GATES FAILED: " + ", ".join(results["gates_failed"]))
    elif results["layers"]:
        complete = all(d["complete"] for d in results["layers"].values())
        lines.append(
            "all evaluated gates passed"
            + ("" if complete else " (some layers partial: not evaluated)")
        )
    return lines


def sampling_lines(sampling: Mapping[str, Any] | None, *, max_cases: int = 12) -> list[str]:
    """Greedy against the shipped sampler for one layer, and its flaky cases."""
    if not sampling:
        return []
    flaky = sampling["flaky"]
    lines = [
        f"    shipped sampler: greedy {_interval_text(sampling['greedy'])}, greedy and all "
        f"{sampling['seeds']} seeds {_interval_text(sampling['every_seed'])}, flaky {len(flaky)}"
    ]
    if flaky:
        more = f" (+{len(flaky) - max_cases} more)" if len(flaky) > max_cases else ""
        lines.append("    flaky: " + ", ".join(flaky[:max_cases]) + more)
    return lines


def regression_lines(regression: Mapping[str, Any] | None, *, max_cases: int = 12) -> list[str]:
    """The paired verdict against the baseline, a line per layer, then new cases."""
    if not regression:
        return []
    lines = [
        f"regression gate: paired against {regression['baseline']} "
        f"(exact one-sided McNemar, alpha {regression['alpha']:g}); "
        f"outcomes paired: {regression.get('outcome', 'as gated')}"
    ]
    for row in (*regression["layers"].values(), regression["overall"]):
        ci = row.get("difference_ci95")
        diff = f"  difference [{ci[0]:+.3f}, {ci[1]:+.3f}]" if ci else ""
        lines.append(
            f"    {'BLOCKED' if row['blocked'] else 'ok':<8}{row['layer']:<11}"
            f" paired {row['paired']:>4}"
            f"  pass->fail {len(row['regressed']):>3}  fail->pass {len(row['fixed']):>3}"
            f"  p = {row['p_value']:.3g}{diff}"
        )
        check = row.get("non_inferiority")
        if check:
            lines.append(
                f"{'':12}non-inferiority: lower bound above -{check['margin']:g}, "
                f"power {check['power']:.0%} for an equal model "
                f"(discordance {check['discordance']:g})"
                + (f": {check['error']}" if check.get("error") else "")
                + ("  BLOCKED" if check["blocked"] and not check.get("error") else "")
            )
    overall = regression["overall"]
    for title, ids in (
        ("pass->fail", overall["regressed"]),
        ("new, failing", overall["new_failing"]),
        ("new, passing", overall["new_passing"]),
    ):
        if ids:
            more = f" (+{len(ids) - max_cases} more)" if len(ids) > max_cases else ""
            lines.append(f"    {title} ({len(ids)}): " + ", ".join(ids[:max_cases]) + more)
    return lines


def _text(value: Any) -> str:
    """A string as it is; any other value as indented JSON, as the report always showed them."""
    return value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, indent=1)


@cache
def _environment() -> Any:
    """The template environment, built on first render so importing the report costs nothing."""
    import jinja2

    env = jinja2.Environment(
        loader=jinja2.PackageLoader("josi.evals", "templates"),
        # Case text and model output reach every part of the page: escape all of it.
        autoescape=jinja2.select_autoescape(enabled_extensions=("html", "html.j2"), default=True),
    )

    def fmt(value: Any) -> str:
        # A field an older results file lacks reads as unknown, as it always did.
        return _fmt(None if isinstance(value, jinja2.Undefined) else value)

    env.filters.update(
        fmt=fmt,
        text=_text,
        distribution=distribution_text,
        compact_json=lambda value: json.dumps(value, ensure_ascii=False),
    )
    return env


def _gate_rows(data: Mapping[str, Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The layer's gates with their interval and note, then its metrics that no gate reads."""
    intervals = data.get("details", {}).get("intervals", {})
    gates = []
    for g in data["gates"]:
        note = ""
        if g["below_production"]:
            note = f"{BELOW} (production {g['production']})" + (
                "; TODO: not measured yet" if g["todo"] else ""
            )
        elif g.get("reason"):
            note = g["reason"]
        interval = _interval_text(intervals.get(g["metric"].partition(".")[2]))
        gates.append(dict(g, note=note, interval=interval))
    gated = {g["metric"].partition(".")[2] for g in data["gates"]}
    ungated = [
        {"metric": m, "value": v, "interval": _interval_text(intervals.get(m))}
        for m, v in data["metrics"].items()
        if m not in gated
    ]
    return gates, ungated


def _layer_view(
    layer: str, data: Mapping[str, Any], records: list[Mapping[str, Any]]
) -> dict[str, Any]:
    details = data.get("details", {})
    mine = sorted(
        (r for r in records if r["layer"] == layer), key=lambda r: (bool(r.get("passed")), r["id"])
    )
    gates, ungated = _gate_rows(data)
    sampling = "\n".join(
        line.strip() for line in sampling_lines(details.get("sampling"), max_cases=500)
    )
    return {
        "name": layer,
        "data": data,
        "gates": gates,
        "ungated": ungated,
        "sampling_text": sampling,
        "confusion": action_confusion(mine),
        "reliability": reliability_diagrams(details),
        "records": mine,
    }


def render_html(results: Mapping[str, Any], comparison: Mapping[str, Any] | None = None) -> str:
    """The self-contained HTML report; ``comparison`` is a ``compare_results`` against this run."""
    records = results["records"]
    comparison_text = ""
    if comparison:
        from josi.evals._compare import format_comparison

        comparison_text = format_comparison(comparison, max_cases=200)
    run = results.get("run", {})
    return (
        _environment()
        .get_template(TEMPLATE)
        .render(
            results=results,
            run=run,
            model=str(run.get("gguf", "?")),
            below=BELOW,
            regression_text="\n".join(regression_lines(results.get("regression"), max_cases=500)),
            layers=[_layer_view(layer, data, records) for layer, data in results["layers"].items()],
            # A results file keeps the comparison without its per-layer rows: re-rendered, the
            # overall flips still show.
            flips=comparison_flips(comparison or results.get("comparison"), records),
            comparison_text=comparison_text,
        )
    )


def write_report(
    results: Mapping[str, Any], out_dir: str | Path, comparison: Mapping[str, Any] | None = None
) -> dict[str, Path]:
    """Write ``results.json`` and ``report.html`` (and ``compare.json``) into ``out_dir``."""
    out_dir = Path(out_dir)
    paths = {
        "json": atomic_write_json(out_dir / "results.json", results),
        "html": atomic_write_text(out_dir / "report.html", render_html(results, comparison)),
    }
    if comparison:
        paths["compare"] = atomic_write_json(out_dir / "compare.json", comparison)
    return paths
