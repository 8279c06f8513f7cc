"""Render a results document: a self-contained HTML page and a terminal summary."""

from __future__ import annotations

import html
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from josi._io import atomic_write_json, atomic_write_text
from josi.evals._action_dist import distribution_text, summary_lines

BELOW = "below production target"


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
    label = (f"{gate['status'].upper():<14}{gate['metric']:<38}{_fmt(gate['value']):>8}"
             f"{_interval_text(interval):>22}  gate {gate['bound']}")
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
        f"model: {run.get('gguf', '?')}   profile: {results['profile']}   thresholds: {results['thresholds_file']}",
    ]
    for layer, data in results["layers"].items():
        part = "" if data["complete"] else f"  PARTIAL: {data['cases_run']}/{data['cases_total']} cases, gates not evaluated"
        lines.append(
            f"[{layer}] {data['passed']}/{data['cases_run']} cases passed"
            + (f", {data['violations']} with code-guarantee violations" if data["violations"] else "")
            + part
        )
        intervals = data.get("details", {}).get("intervals", {})
        for gate in data["gates"]:
            lines.append("    " + _gate_label(gate, intervals.get(gate["metric"].partition(".")[2])))
        gated = {g["metric"].partition(".")[2] for g in data["gates"]}
        for metric, interval in intervals.items():
            if metric not in gated and interval.get("n"):
                lines.append(f"    {'(not gated)':<14}{layer + '.' + metric:<38}"
                             f"{_fmt(data['metrics'].get(metric)):>8}{_interval_text(interval):>22}")
        lines += sampling_lines(data.get("details", {}).get("sampling"))
        cal = data.get("details", {}).get("calibration")
        if cal:
            buckets = ", ".join(f"{b['bucket']}: n={b['n']} acc={_fmt(b['accuracy'])}" for b in cal["buckets"])
            lines.append(f"    accuracy per confidence bucket: {buckets}")
        lines += summary_lines(layer, data.get("details", {}))
    failed = [r for r in results["records"] if not r.get("passed")]
    if failed:
        lines.append(f"failed cases ({len(failed)}):")
        for r in failed[:max_failures]:
            why = "; ".join(r.get("violations", []) + [f"{c['name']}: {c['reason']}" for c in r.get("checks", []) if not c["passed"]])
            lines.append(f"    {r['layer']}:{r['id']}: {why[:160]}")
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
        lines.append("all evaluated gates passed" + ("" if complete else " (some layers partial: not evaluated)"))
    return lines


def sampling_lines(sampling: Mapping[str, Any] | None, *, max_cases: int = 12) -> list[str]:
    """Greedy against the shipped sampler for one layer, and its flaky cases."""
    if not sampling:
        return []
    flaky = sampling["flaky"]
    lines = [f"    shipped sampler: greedy {_interval_text(sampling['greedy'])}, greedy and all "
             f"{sampling['seeds']} seeds {_interval_text(sampling['every_seed'])}, flaky {len(flaky)}"]
    if flaky:
        more = f" (+{len(flaky) - max_cases} more)" if len(flaky) > max_cases else ""
        lines.append("    flaky: " + ", ".join(flaky[:max_cases]) + more)
    return lines


def regression_lines(regression: Mapping[str, Any] | None, *, max_cases: int = 12) -> list[str]:
    """The paired verdict against the baseline, a line per layer, then new cases."""
    if not regression:
        return []
    lines = [f"regression gate: paired against {regression['baseline']} "
             f"(exact one-sided McNemar, alpha {regression['alpha']:g})"]
    for row in (*regression["layers"].values(), regression["overall"]):
        ci = row.get("difference_ci95")
        diff = f"  difference [{ci[0]:+.3f}, {ci[1]:+.3f}]" if ci else ""
        lines.append(f"    {'BLOCKED' if row['blocked'] else 'ok':<8}{row['layer']:<11} paired {row['paired']:>4}"
                     f"  pass->fail {len(row['regressed']):>3}  fail->pass {len(row['fixed']):>3}"
                     f"  p = {row['p_value']:.3g}{diff}")
    overall = regression["overall"]
    for title, ids in (("pass->fail", overall["regressed"]), ("new, failing", overall["new_failing"]),
                       ("new, passing", overall["new_passing"])):
        if ids:
            more = f" (+{len(ids) - max_cases} more)" if len(ids) > max_cases else ""
            lines.append(f"    {title} ({len(ids)}): " + ", ".join(ids[:max_cases]) + more)
    return lines


_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:2rem;color:#1d2330;max-width:1200px}
h1{font-size:1.4rem}h2{font-size:1.15rem;margin-top:2rem;border-bottom:1px solid #ccd}
table{border-collapse:collapse;margin:.5rem 0}td,th{border:1px solid #ccd;padding:.25rem .5rem;text-align:left;font-size:.9rem}
th{background:#eef}.pass{color:#176b2c;font-weight:600}.fail{color:#b3261e;font-weight:600}.na{color:#7a5c00;font-weight:600}
.below{background:#fff4d6}details{margin:.2rem 0;border:1px solid #dde;border-radius:4px;padding:.2rem .5rem}
summary{cursor:pointer}pre{white-space:pre-wrap;background:#f6f7fb;padding:.5rem;font-size:.82rem;margin:.3rem 0}
.meta{color:#556;font-size:.9rem}
"""


def _esc(value: Any) -> str:
    return html.escape(value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, indent=1))


def _status_class(status: str) -> str:
    return {"pass": "pass", "fail": "fail"}.get(status, "na")


def _record_html(r: Mapping[str, Any]) -> str:
    status = "pass" if r.get("passed") else "fail"
    parts = [
        f"<details><summary><span class='{status}'>{status.upper()}</span> {_esc(r['id'])} "
        f"<span class='meta'>[{_esc(', '.join(r.get('tags', [])))}] {_esc(r['message'][:90])}</span></summary>",
    ]
    if r.get("samples"):
        seeds = ", ".join(f"seed {i}: {'pass' if ok else 'fail'}" for i, ok in enumerate(r["samples"]))
        parts.append(f"<p class='meta'>greedy: {'pass' if r.get('greedy_passed') else 'fail'}; shipped sampler: "
                     f"{_esc(seeds)}{' (flaky)' if r.get('flaky') else ''}</p>")
    if r.get("violations"):
        parts.append("<p class='fail'>code-guarantee violations: " + _esc("; ".join(r["violations"])) + "</p>")
    rows = "".join(
        f"<tr><td>{_esc(c['name'])}</td><td class='{'pass' if c['passed'] else 'fail'}'>{'pass' if c['passed'] else 'fail'}</td>"
        f"<td>{_esc(c['reason'])}</td></tr>"
        for c in r.get("checks", [])
    )
    if rows:
        parts.append(f"<table><tr><th>check</th><th></th><th>reason</th></tr>{rows}</table>")
    if r.get("scores"):
        srows = "".join(
            f"<tr><td>{_esc(s['name'])}</td><td>{_fmt(s['value'])}</td><td>{'pass' if s['passed'] else 'fail'}</td><td>{_esc(s['reason'])}</td></tr>"
            for s in r["scores"]
        )
        parts.append(f"<table><tr><th>score</th><th>value</th><th></th><th>reason</th></tr>{srows}</table>")
    if r.get("history"):
        parts.append("<b>history</b><pre>" + _esc("\n".join(f"{t['role']}: {t['message']}" for t in r["history"])) + "</pre>")
    prompt = r.get("prompt") or []
    if prompt:
        shown = "\n\n".join(f"[{m['role']}]\n{m['content']}" for m in prompt)
        parts.append(f"<b>prompt</b><pre>{_esc(shown)}</pre>")
    if r.get("interpreter_raw"):
        parts.append(f"<b>interpreter output</b><pre>{_esc(r['interpreter_raw'])}</pre>")
    facts = r.get("facts") or {}
    if facts.get("action_probs"):
        p = facts.get("p_expected_sampled")
        sampled = "" if p is None else (f"; expected action under the shipped sampler {p:.3f}"
                                         + (" (fragile)" if facts.get("fragile") else ""))
        shown = distribution_text(facts["action_probs"])
        parts.append(f"<b>action distribution</b><pre>{_esc(shown)}{_esc(sampled)}</pre>")
    if r.get("request") is not None:
        parts.append(f"<b>request</b><pre>{_esc(json.dumps(r['request'], ensure_ascii=False))}</pre>")
    if r.get("expected"):
        parts.append(f"<b>expected</b><pre>{_esc(json.dumps(r['expected'], ensure_ascii=False))}</pre>")
    if r.get("route"):
        parts.append(f"<b>route</b><pre>{_esc(json.dumps(r['route'], ensure_ascii=False))}</pre>")
    if r.get("reply"):
        parts.append(f"<b>reply</b><pre>{_esc(r['reply'])}</pre>")
    parts.append(
        f"<p class='meta'>latency {_fmt(r.get('latency_s'))} s, prompt {r.get('prompt_tokens')} tok, "
        f"completion {r.get('completion_tokens')} tok</p></details>"
    )
    return "".join(parts)


def render_html(results: Mapping[str, Any], comparison: Mapping[str, Any] | None = None) -> str:
    run = results.get("run", {})
    out = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        f"<title>Josi eval report: {_esc(results['profile'])}</title><style>{_CSS}</style></head><body>",
        "<h1>Josi eval report</h1>",
        f"<p class='meta'>model {_esc(str(run.get('gguf', '?')))} | profile {_esc(results['profile'])} | "
        f"thresholds {_esc(results['thresholds_file'])} | {_esc(results['created'])} | "
        f"wall {_fmt(run.get('wall_s'))} s | workers {_fmt(run.get('workers'))}</p>",
    ]
    verdict = "GATES FAILED: " + ", ".join(results["gates_failed"]) if results["gates_failed"] else "all evaluated gates passed"
    out.append(f"<p class='{'fail' if results['gates_failed'] else 'pass'}'>{_esc(verdict)}</p>")
    if results.get("regression"):
        out.append("<h2>Against the baseline</h2><pre>"
                   + _esc("\n".join(regression_lines(results["regression"], max_cases=500))) + "</pre>")
    if results.get("below_production_target"):
        out.append(f"<p class='below'>{BELOW}: " + _esc(", ".join(b["metric"] for b in results["below_production_target"])) + "</p>")
    out.append("<h2>Layers</h2><table><tr><th>layer</th><th>cases</th><th>passed</th><th>violations</th><th>complete</th></tr>")
    for layer, d in results["layers"].items():
        out.append(f"<tr><td><a href='#{layer}'>{layer}</a></td><td>{d['cases_run']}/{d['cases_total']}</td>"
                   f"<td>{d['passed']}</td><td>{d['violations']}</td>"
                   f"<td class='{'pass' if d['complete'] else 'na'}'>{'yes' if d['complete'] else 'partial'}</td></tr>")
    out.append("</table>")
    for layer, d in results["layers"].items():
        out.append(f"<h2 id='{layer}'>{layer}</h2>")
        if not d["complete"]:
            out.append(f"<p class='na'>partial run ({d['cases_run']} of {d['cases_total']} cases): gates not evaluated</p>")
        intervals = d.get("details", {}).get("intervals", {})
        out.append("<table><tr><th>metric</th><th>value</th><th>n, 95% interval</th><th>gate</th>"
                   "<th>status</th><th>note</th></tr>")
        for g in d["gates"]:
            note = ""
            if g["below_production"]:
                note = f"{BELOW} (production {g['production']})" + ("; TODO: not measured yet" if g["todo"] else "")
            elif g.get("reason"):
                note = g["reason"]
            cls = " class='below'" if g["below_production"] else ""
            span = _interval_text(intervals.get(g["metric"].partition(".")[2]))
            out.append(f"<tr{cls}><td>{_esc(g['metric'])}</td><td>{_fmt(g['value'])}</td><td>{_esc(span)}</td>"
                       f"<td>{_esc(g['bound'])}</td>"
                       f"<td class='{_status_class(g['status'])}'>{_esc(g['status'])}</td><td>{_esc(note)}</td></tr>")
        gated = {g["metric"].partition(".")[2] for g in d["gates"]}
        for m, v in d["metrics"].items():
            if m not in gated:
                out.append(f"<tr><td>{layer}.{_esc(m)}</td><td>{_fmt(v)}</td>"
                           f"<td>{_esc(_interval_text(intervals.get(m)))}</td><td></td><td></td><td>not gated</td></tr>")
        out.append("</table>")
        det = d.get("details", {})
        if det.get("sampling"):
            out.append("<pre>" + _esc("\n".join(line.strip() for line in
                                                sampling_lines(det["sampling"], max_cases=500))) + "</pre>")
        if det.get("action_accuracy_by_action"):
            out.append("<table><tr><th>expected action</th><th>n</th><th>action accuracy</th></tr>")
            for a, row in det["action_accuracy_by_action"].items():
                out.append(f"<tr><td>{_esc(a)}</td><td>{row['n']}</td><td>{_fmt(row['accuracy'])}</td></tr>")
            out.append("</table>")
        if det.get("action_distribution"):
            dist = det["action_distribution"]
            fragile = f"{len(dist['fragile'])}: {', '.join(dist['fragile'])}"
            below = f"{dist['fragile_below']:g}"
            out.append("<table><tr><th>greedy action accuracy</th><th>expected under the shipped "
                       f"sampler</th><th>n</th><th>fragile (P &lt; {below})</th></tr>"
                       f"<tr><td>{_fmt(dist['greedy_action_accuracy'])}</td>"
                       f"<td>{_fmt(dist['expected_action_accuracy'])}</td><td>{dist['n']}</td>"
                       f"<td>{_esc(fragile)}</td></tr></table>")
        if det.get("calibration_by_source"):
            served = _esc(str(det.get("confidence_source")))
            out.append(f"<p class='meta'>served confidence source: {served} (the gated ECE and the "
                       "reliability table below are the served source's)</p>"
                       "<table><tr><th>confidence source</th><th>n</th><th>ECE</th></tr>")
            for source, c in det["calibration_by_source"].items():
                out.append(f"<tr><td>{_esc(source)}</td><td>{c['n']}</td>"
                           f"<td>{_fmt(c['ece'])}</td></tr>")
            out.append("</table>")
        if det.get("calibration"):
            cal = det["calibration"]
            out.append("<table><tr><th>confidence bucket</th><th>n</th><th>accuracy</th></tr>")
            for b in cal["buckets"]:
                out.append(f"<tr><td>{_esc(b['bucket'])}</td><td>{b['n']}</td><td>{_fmt(b['accuracy'])}</td></tr>")
            out.append("</table><table><tr><th>bin</th><th>n</th><th>mean confidence</th><th>accuracy</th></tr>")
            for b in cal["bins"]:
                out.append(f"<tr><td>{b['range']}</td><td>{b['n']}</td><td>{_fmt(b['confidence'])}</td><td>{_fmt(b['accuracy'])}</td></tr>")
            out.append("</table>")
        recs = [r for r in results["records"] if r["layer"] == layer]
        recs.sort(key=lambda r: (bool(r.get("passed")), r["id"]))
        out.append("".join(_record_html(r) for r in recs))
    if comparison:
        from josi.evals._compare import format_comparison

        out.append(f"<h2>Comparison</h2><pre>{_esc(format_comparison(comparison, max_cases=200))}</pre>")
    out.append("</body></html>")
    return "\n".join(out)


def write_report(results: Mapping[str, Any], out_dir: str | Path,
                 comparison: Mapping[str, Any] | None = None) -> dict[str, Path]:
    """Write ``results.json`` and ``report.html`` (and ``compare.json``) into ``out_dir``."""
    out_dir = Path(out_dir)
    paths = {"json": atomic_write_json(out_dir / "results.json", results),
             "html": atomic_write_text(out_dir / "report.html", render_html(results, comparison))}
    if comparison:
        paths["compare"] = atomic_write_json(out_dir / "compare.json", comparison)
    return paths
