"""The regression gate for a profile below its production targets.

A below-target profile cannot be held to absolute figures measured on its last model:
one new regression prompt that the model fails would lower the rate and block a model
that is no worse. Instead the last shipped model's per-case outcomes are committed as
``thresholds/<profile>.baseline.json``, and a new model is judged on the cases both runs
share, pair by pair:

- model quality blocks when the exact one-sided McNemar test finds more pass->fail
  than fail->pass flips than chance allows at the profile's alpha, in a layer or over
  all layers together; an equal or better model passes;
- optionally (``[compare] non_inferiority`` in the thresholds file) a layer also blocks
  unless the lower 95% bound of its paired difference is above -margin. The margin must be
  one the layer's case count supports: an equally good model has to pass with at least 80%
  probability (given ``[compare] discordance``); a smaller margin is a configuration error
  that blocks, never a silent pass;
- a case the baseline does not hold is "new" (passing or failing) and never blocks;
- code guarantees (schema validity, tiers, zone caps, red flags) still fail their case;
- outcomes are paired like with like: a case passes under the shipped sampler only if greedy
  decoding and every one of k seeds pass, so a run judged under another k than the baseline
  (``--josi-samples``) is paired on greedy outcomes, which the baseline keeps beside them.

The baseline changes only through a ship that passed (or ``josi baseline update``).
"""

from __future__ import annotations

import datetime as _dt
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from josi._errors import ConfigError
from josi._io import atomic_write_json
from josi.evals._records import recorded_outcome
from josi.evals._stats import (
    NON_INFERIORITY_POWER,
    mcnemar_one_sided,
    non_inferiority_power,
    paired_difference_interval,
    smallest_supported_margin,
)

BASELINE_VERSION = 1
ALL_LAYERS = "all"


def baseline_path(thresholds_path: Path) -> Path:
    """``thresholds/<profile>.baseline.json`` beside the profile's thresholds file."""
    return thresholds_path.with_name(f"{thresholds_path.stem}.baseline.json")


def _key(layer: str, case_id: str) -> str:
    return f"{layer}:{case_id}"


@dataclass(frozen=True)
class Baseline:
    """Per-case outcomes (``layer:id`` -> passed) of the last model that shipped.

    ``samples`` is the number of sampler seeds its outcomes were judged under (None in a
    baseline that predates the field); ``greedy_outcomes`` holds the greedy outcome of every
    case that also sampled (a case missing there ran greedily only, so its outcome is greedy).
    """

    path: Path
    profile: str
    model: Mapping[str, Any]
    outcomes: Mapping[str, bool]
    samples: int | None = None
    greedy_outcomes: Mapping[str, bool] = field(default_factory=dict)


def load_baseline(path: Path) -> Baseline | None:
    """The baseline at ``path``; None when there is none, a broken one is a ConfigError."""
    if not path.is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read the baseline ({exc})") from exc
    outcomes = data.get("outcomes") if isinstance(data, dict) else None
    greedy = data.get("greedy_outcomes", {}) if isinstance(data, dict) else None
    samples = data.get("samples") if isinstance(data, dict) else None
    if (
        (data.get("version") if isinstance(data, dict) else None) != BASELINE_VERSION
        or not isinstance(outcomes, dict)
        or not all(isinstance(v, bool) for v in outcomes.values())
        or not isinstance(greedy, dict)
        or not all(isinstance(v, bool) for v in greedy.values())
        or not (samples is None or (type(samples) is int and samples >= 0))
    ):
        raise ConfigError(
            f"{path}: not a version-{BASELINE_VERSION} baseline "
            "(an object with 'outcomes': {'layer:id': true|false}, optional 'samples' >= 0 "
            "and 'greedy_outcomes' like 'outcomes')"
        )
    return Baseline(
        path, str(data.get("profile", "")), data.get("model") or {}, outcomes, samples, greedy
    )


def baseline_document(results: Mapping[str, Any]) -> dict[str, Any]:
    """The baseline a results document stands for (complete layers only)."""
    complete = {layer for layer, row in results.get("layers", {}).items() if row.get("complete")}
    run = results.get("run", {})
    manifest = run.get("manifest") if isinstance(run.get("manifest"), dict) else {}
    records = sorted(
        (r for r in results.get("records", []) if r["layer"] in complete),
        key=lambda r: (r["layer"], r["id"]),
    )
    return {
        "version": BASELINE_VERSION,
        "profile": results.get("profile"),
        "created": _dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        "model": {
            "gguf": Path(str(run.get("gguf") or "")).name,
            "sha256": manifest.get("sha256"),
            "runtime": run.get("runtime"),
        },
        "samples": (run.get("sampling") or {}).get("samples"),
        "outcomes": {_key(r["layer"], r["id"]): bool(r["passed"]) for r in records},
        "greedy_outcomes": {
            _key(r["layer"], r["id"]): bool(r["greedy_passed"])
            for r in records
            if r.get("greedy_passed") is not None
        },
    }


def write_baseline(results: Mapping[str, Any], path: Path) -> Path:
    doc = baseline_document(results)
    if not doc["outcomes"]:
        raise ConfigError(
            "the results hold no complete layer: a baseline needs every case of a layer"
        )
    return atomic_write_json(path, doc)


def _layer_verdict(
    layer: str, pairs: list[tuple[str, bool, bool]], new: list[tuple[str, bool]], alpha: float
) -> dict[str, Any]:
    regressed = [cid for cid, before, now in pairs if before and not now]
    fixed = [cid for cid, before, now in pairs if now and not before]
    p = mcnemar_one_sided(len(regressed), len(fixed))
    row: dict[str, Any] = {
        "layer": layer,
        "paired": len(pairs),
        "regressed": regressed,
        "fixed": fixed,
        "p_value": round(p, 6),
        "blocked": p < alpha,
        "new_passing": [cid for cid, ok in new if ok],
        "new_failing": [cid for cid, ok in new if not ok],
    }
    if pairs:
        low, high = paired_difference_interval(len(regressed), len(fixed), len(pairs))
        row["difference_ci95"] = [round(low, 4), round(high, 4)]
    return row


def _non_inferiority(row: dict[str, Any], margin: float, discordance: float) -> None:
    """Apply the non-inferiority rule to one layer's verdict row, in place."""
    n = row["paired"]
    power = non_inferiority_power(margin, n, discordance)
    check: dict[str, Any] = {
        "margin": margin,
        "discordance": discordance,
        "power": round(power, 4),
    }
    if power < NON_INFERIORITY_POWER:
        needed = smallest_supported_margin(n, discordance)
        check["error"] = (
            f"margin {margin:g} on {n} paired cases gives an equally good model "
            f"{power:.0%} chance to pass (needs {NON_INFERIORITY_POWER:.0%}): the suite "
            + (f"supports {needed:.3f} or more" if needed is not None else "has no paired case")
        )
        check["blocked"] = True
    else:
        low = row["difference_ci95"][0]
        check["blocked"] = not low > -margin
    row["non_inferiority"] = check
    row["blocked"] = row["blocked"] or check["blocked"]


def _outcome_label(greedy: bool, samples: int | None, baseline_samples: int | None) -> str:
    if greedy:
        return f"greedy (this run {samples} seeds, the baseline {baseline_samples})"
    if baseline_samples is None:
        return "as gated (the baseline does not record its seed count)"
    return f"as gated ({baseline_samples} seeds on both sides)"


def regression_verdict(
    records: Iterable[Mapping[str, Any]],
    baseline: Baseline,
    *,
    alpha: float,
    layers: Iterable[str],
    non_inferiority: Mapping[str, float] | None = None,
    discordance: float = 0.10,
    samples: int | None = None,
) -> dict[str, Any]:
    """Paired verdict of ``records`` against ``baseline`` for the (complete) ``layers``;
    ``non_inferiority`` adds the margin rule to the layers it names. ``samples`` is the
    number of sampler seeds the run judged its cases under; when it is not the baseline's,
    both sides are paired on their greedy outcomes."""
    greedy = samples is not None and baseline.samples is not None and samples != baseline.samples

    def before_passed(key: str) -> bool:
        if greedy:
            return baseline.greedy_outcomes.get(key, baseline.outcomes[key])
        return baseline.outcomes[key]

    chosen = set(layers)
    per_layer: dict[str, list[tuple[str, bool, bool]]] = {}
    new: dict[str, list[tuple[str, bool]]] = {}
    for record in records:
        layer = record["layer"]
        if layer not in chosen:
            continue
        key, now = _key(layer, record["id"]), recorded_outcome(record, greedy=greedy)
        if key in baseline.outcomes:
            per_layer.setdefault(layer, []).append((record["id"], before_passed(key), now))
        else:
            new.setdefault(layer, []).append((record["id"], now))
    rows = {
        layer: _layer_verdict(layer, per_layer.get(layer, []), new.get(layer, []), alpha)
        for layer in sorted(chosen)
    }
    for layer, margin in (non_inferiority or {}).items():
        if layer in rows:
            _non_inferiority(rows[layer], margin, discordance)
    everything = [
        (f"{layer}:{cid}", before, now)
        for layer in sorted(per_layer)
        for cid, before, now in per_layer[layer]
    ]
    overall = _layer_verdict(
        ALL_LAYERS,
        everything,
        [(f"{layer}:{cid}", ok) for layer in sorted(new) for cid, ok in new[layer]],
        alpha,
    )
    blocked = [row["layer"] for row in (*rows.values(), overall) if row["blocked"]]
    return {
        "baseline": str(baseline.path),
        "baseline_model": dict(baseline.model),
        "outcome": _outcome_label(greedy, samples, baseline.samples),
        "alpha": alpha,
        "layers": rows,
        "overall": overall,
        "blocked": blocked,
    }
