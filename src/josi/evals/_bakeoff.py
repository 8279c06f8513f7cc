"""Bake-off: several GGUFs through the same suites, ranked by the plan's decision matrix.

Weights (plan, phase 7): schema 25, contract 25, quality 25, GGUF size 10,
inference speed 10, RAM 5. Layer scores are the layer's case pass rate (0-1).
Size, speed and RAM are relative to the best candidate: smallest size / size,
tokens per second / fastest, lowest peak RSS / peak RSS.

Size, speed and RAM only break ties between models the cases cannot tell apart: a candidate
whose cases are significantly worse than those of the best candidate on quality (schema,
contract and quality together, paired, exact one-sided McNemar at 0.05) earns no points for
them. A small, fast model that does not do the job would otherwise outrank one that does: the
first real bake-off ranked a two-layer random Qwen3 (13 MB, 612 tokens/s) within 4 points of the
shipped nano and above the raw SmolLM2 base.

A layer's rate comes from a few dozen cases, so the ranking carries what the verdict carries:
each rate as ``k/n`` with its 95% Wilson interval, and every candidate paired case by case
against the leader (exact McNemar over the shared cases). A candidate whose paired p-value is
at or above 0.05 is not separated from the leader by these cases, whatever its score.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from josi._errors import ConfigError, ModelFileError
from josi._io import atomic_write_json, atomic_write_text
from josi.evals._compare import compare_results, load_results
from josi.evals._results import record_summary
from josi.evals._stats import wilson

WEIGHTS: dict[str, float] = {
    "schema": 25,
    "contract": 25,
    "quality": 25,
    "size": 10,
    "speed": 10,
    "ram": 5,
}
DEFAULT_LAYERS = ("schema", "contract", "quality")
ALPHA = 0.05  # the verdict's level for a paired difference


@dataclass(frozen=True)
class Candidate:
    name: str
    gguf: str
    size_bytes: int
    tokens_per_s: float | None
    latency_s_p50: float | None
    peak_rss_kb: int
    layer_pass: dict[str, float | None]
    pytest_exit: int
    wall_s: float
    results: str
    parts: dict[str, float]
    score: float
    # Per layer: passed k of n cases run, with the 95% Wilson interval of the rate.
    layer_counts: dict[str, dict[str, float | int]] | None = None
    # Paired against the ranking's leader on the shared cases (None for the leader itself).
    versus_leader: dict[str, Any] | None = None
    # False when significantly worse than the best candidate on quality: no efficiency points.
    efficiency_eligible: bool = True


def _candidate_name(path: Path, used: set[str]) -> str:
    name = path.name.removesuffix(".gguf")
    base, n = name, 2
    while name in used:
        name, n = f"{base}-{n}", n + 1
    used.add(name)
    return name


def run_suites(
    gguf: Path,
    out_dir: Path,
    *,
    layers: Sequence[str],
    profile: str,
    pytest_args: Sequence[str] = (),
    tests_root: Path | None = None,
    endpoint: str | None = None,
) -> tuple[int, float]:
    """One child pytest per GGUF (a fresh process, so its peak RSS is this model's, unless
    ``endpoint`` names the server that runs it)."""
    root = tests_root or Path.cwd() / "tests"
    targets = [str(root / layer) for layer in layers]
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        *targets,
        "--josi-gguf",
        str(gguf),
        "--josi-profile",
        profile,
        "--josi-report",
        str(out_dir),
        "-q",
        "-p",
        "no:cacheprovider",
        *(["--josi-endpoint", endpoint] if endpoint else []),
        *pytest_args,
    ]
    start = time.monotonic()
    proc = subprocess.run(cmd, env=os.environ | {"JOSI_GGUF": str(gguf)}, check=False)
    return proc.returncode, time.monotonic() - start


def rank(rows: Sequence[Mapping[str, Any]]) -> list[Candidate]:
    """Weighted decision-matrix score per candidate, best first.

    A row with ``efficiency_eligible`` false (significantly worse than the best on quality)
    gets 0 for size, speed and RAM."""
    # The best size, speed and RAM are the best among the candidates that earn those points.
    eligible = [r for r in rows if r.get("efficiency_eligible", True)] or list(rows)
    sizes = [r["size_bytes"] for r in eligible if r["size_bytes"]]
    speeds = [r["tokens_per_s"] for r in eligible if r["tokens_per_s"]]
    rams = [r["peak_rss_kb"] for r in eligible if r["peak_rss_kb"]]
    out = []
    for r in rows:
        parts = {
            layer: float(r["layer_pass"].get(layer) or 0.0)
            for layer in ("schema", "contract", "quality")
        }
        parts["size"] = min(sizes) / r["size_bytes"] if r["size_bytes"] and sizes else 0.0
        parts["speed"] = r["tokens_per_s"] / max(speeds) if r["tokens_per_s"] and speeds else 0.0
        parts["ram"] = min(rams) / r["peak_rss_kb"] if r["peak_rss_kb"] and rams else 0.0
        if not r.get("efficiency_eligible", True):
            parts.update(size=0.0, speed=0.0, ram=0.0)
        score = sum(WEIGHTS[k] * v for k, v in parts.items())
        out.append(
            Candidate(**r, parts={k: round(v, 4) for k, v in parts.items()}, score=round(score, 2))
        )
    return sorted(out, key=lambda c: -c.score)


def _rate_cell(c: Candidate, layer: str) -> str:
    counts = (c.layer_counts or {}).get(layer)
    if counts is None:
        v = c.layer_pass.get(layer)
        return "n/a" if v is None else f"{100 * v:.0f}%"
    return f"{counts['k']}/{counts['n']} [{counts['low']:.2f},{counts['high']:.2f}]"


def _versus_cell(c: Candidate) -> str:
    if c.versus_leader is None:
        return "leader"
    v = c.versus_leader
    return f"-{len(v['regressed'])}/+{len(v['fixed'])} p={v['p_value']:.3g}"


def format_table(ranked: Sequence[Candidate]) -> str:
    """One row per candidate: score, each layer as k/n [95% interval], cost, and the paired
    flips against the leader (cases the leader passes and it fails / the reverse, McNemar p)."""
    layers = ("schema", "contract", "quality")
    head = (
        f"{'#':<3}{'candidate':<28}{'score':>6}"
        + "".join(f"  {layer:<19}" for layer in layers)
        + f"{'size MB':>8}{'tok/s':>7}{'RSS MB':>7}  vs #1 (paired)"
    )
    lines = [head, "-" * len(head)]
    for i, c in enumerate(ranked, 1):
        lines.append(
            f"{i:<3}{c.name[:27]:<28}{c.score:>6.1f}"
            + "".join(f"  {_rate_cell(c, layer):<19}" for layer in layers)
            + f"{c.size_bytes / 1e6:>8.0f}{(c.tokens_per_s or 0):>7.1f}{c.peak_rss_kb / 1024:>7.0f}"
            + f"  {_versus_cell(c)}"
        )
    lines.append("weights: " + ", ".join(f"{k} {v:g}" for k, v in WEIGHTS.items()))
    tied = [c.name for c in ranked[1:] if c.versus_leader and not c.versus_leader["separated"]]
    ineligible = [c.name for c in ranked if not c.efficiency_eligible]
    if ineligible:
        lines.append(
            "no size/speed/RAM points (significantly worse than the best on quality): "
            + ", ".join(ineligible)
        )
    if tied:
        lines.append(
            f"not separated from #1 by these cases (paired p >= {ALPHA:g}): " + ", ".join(tied)
        )
    return "\n".join(lines)


def quality_score(row: Mapping[str, Any]) -> float:
    """The decision matrix's quality points alone (schema, contract, quality)."""
    return sum(WEIGHTS[k] * float(row["layer_pass"].get(k) or 0.0) for k in DEFAULT_LAYERS)


def _mark_efficiency_eligible(
    rows: list[dict[str, Any]], loaded: Mapping[str, Mapping[str, Any]]
) -> None:
    """Set ``efficiency_eligible`` on every row: False when its cases are significantly worse
    than the best-quality candidate's (one-sided exact McNemar over all shared cases)."""
    from josi.evals._stats import mcnemar_one_sided

    best = max(rows, key=quality_score)
    for row in rows:
        if row is best:
            row["efficiency_eligible"] = True
            continue
        cmp = compare_results(loaded[best["name"]], loaded[row["name"]], alpha=ALPHA)
        p = mcnemar_one_sided(len(cmp["regressed"]), len(cmp["fixed"]))
        row["efficiency_eligible"] = not p < ALPHA


def versus_leader(leader: Mapping[str, Any], other: Mapping[str, Any]) -> dict[str, Any]:
    """``other`` paired with the leader over their shared cases: flips and exact McNemar."""
    cmp = compare_results(leader, other, alpha=ALPHA)
    return {
        "paired": cmp["paired"],
        "regressed": cmp["regressed"],
        "fixed": cmp["fixed"],
        "p_value": cmp["p_value"],
        "separated": cmp["p_value"] < ALPHA,
        "layers": {
            layer: {key: row[key] for key in ("paired", "regressed", "fixed", "p_value")}
            for layer, row in cmp["layers"].items()
        },
    }


def plot(ranked: Sequence[Candidate], path: Path) -> Path | None:
    """Stacked weighted contributions per candidate; None when matplotlib is missing."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return None
    fig, ax = plt.subplots(figsize=(8, 1.2 + 0.6 * len(ranked)))
    names = [c.name for c in ranked][::-1]
    left = [0.0] * len(ranked)
    for key in WEIGHTS:
        vals = [WEIGHTS[key] * c.parts[key] for c in ranked][::-1]
        ax.barh(names, vals, left=left, label=f"{key} ({WEIGHTS[key]:g})")
        left = [a + b for a, b in zip(left, vals, strict=False)]
    ax.set_xlim(0, 100)
    ax.set_xlabel("weighted score (decision matrix)")
    ax.legend(ncol=3, fontsize=8, loc="lower right")
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def bakeoff(
    ggufs: Sequence[str | Path],
    out_dir: str | Path,
    *,
    layers: Sequence[str] = DEFAULT_LAYERS,
    profile: str = "bakeoff",
    pytest_args: Sequence[str] = (),
    tests_root: Path | None = None,
    runner=run_suites,
    endpoints: Sequence[str] | None = None,
) -> dict[str, Any]:
    out_dir = Path(out_dir)
    paths = [Path(g) for g in ggufs]
    if endpoints is not None and len(endpoints) != len(paths):
        raise ConfigError(f"{len(endpoints)} endpoints for {len(paths)} GGUFs; give one per GGUF")
    for p in paths:
        if not p.is_file():
            raise ModelFileError(f"bake-off candidate not found: {p}")
    used: set[str] = set()
    rows = []
    loaded: dict[str, dict[str, Any]] = {}
    for index, path in enumerate(paths):
        name = _candidate_name(path, used)
        report_dir = out_dir / name
        served = {"endpoint": endpoints[index]} if endpoints else {}
        code, wall = runner(
            path,
            report_dir,
            layers=layers,
            profile=profile,
            pytest_args=pytest_args,
            tests_root=tests_root,
            **served,
        )
        results_file = report_dir / "results.json"
        if not results_file.is_file():
            raise ModelFileError(
                f"{path}: the suites wrote no results (pytest exit {code}); see the output above"
            )
        results = load_results(results_file)
        cost = record_summary(results)
        loaded[name] = results
        layer_pass, layer_counts = {}, {}
        for layer in layers:
            data = results["layers"].get(layer)
            layer_pass[layer] = (
                data["passed"] / data["cases_run"] if data and data["cases_run"] else None
            )
            if data and data["cases_run"]:
                layer_counts[layer] = wilson(data["passed"], data["cases_run"]).to_dict()
        rows.append(
            {
                "name": name,
                "gguf": str(path),
                "size_bytes": path.stat().st_size,
                "tokens_per_s": cost["tokens_per_s"],
                "latency_s_p50": cost["latency_s_p50"],
                "peak_rss_kb": cost["peak_rss_kb"],
                "layer_pass": layer_pass,
                "layer_counts": layer_counts,
                "pytest_exit": code,
                "wall_s": round(wall, 1),
                "results": str(results_file),
            }
        )
    _mark_efficiency_eligible(rows, loaded)
    ranked = rank(rows)
    leader = loaded[ranked[0].name]
    ranked = [ranked[0]] + [
        replace(c, versus_leader=versus_leader(leader, loaded[c.name])) for c in ranked[1:]
    ]
    table = format_table(ranked)
    summary = {
        "weights": WEIGHTS,
        "layers": list(layers),
        "profile": profile,
        "ranking": [asdict(c) for c in ranked],
        "table": table,
    }
    atomic_write_json(out_dir / "bakeoff.json", summary)
    atomic_write_text(out_dir / "bakeoff.txt", table + "\n")
    png = plot(ranked, out_dir / "bakeoff.png")
    summary["plot"] = str(png) if png else None
    return summary
