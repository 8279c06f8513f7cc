"""Per-profile release thresholds, read by pytest and nox alike.

One TOML file per model profile in ``thresholds/``. Each layer table maps a metric
to a bound: ``{ min = x }`` (>=), ``{ above = x }`` (>), ``{ max = x }`` (<=) or
``{ below = x }`` (<). A profile that does not reach a production target yet lists
that metric again under ``[below_production_target.<layer>]`` with its measured
figure; the main tables always keep the production target so a report can show
both.
"""

from __future__ import annotations

import math
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from josi._errors import ConfigError
from josi._io import read_text
from josi._resources import resource_dir
from josi.evals._metrics_registry import METRICS, higher_is_better, metric_known

_OPS = {"min": ">=", "above": ">", "max": "<=", "below": "<"}
_BELOW = "below_production_target"


@dataclass(frozen=True)
class Bound:
    op: str
    value: float

    def holds(self, x: float | None) -> bool:
        if x is None or (isinstance(x, float) and math.isnan(x)):
            return False
        if self.op == ">=":
            return x >= self.value
        if self.op == ">":
            return x > self.value
        if self.op == "<=":
            return x <= self.value
        return x < self.value

    def text(self) -> str:
        return f"{self.op} {self.value:g}"

    @classmethod
    def from_text(cls, text: str) -> Bound:
        """The bound ``text`` wrote ("> 0.9", as results.json records it); ValueError else."""
        op, _, value = text.partition(" ")
        if op not in _OPS.values():
            raise ValueError(f"not a bound: {text!r}")
        return cls(op, float(value))


@dataclass(frozen=True)
class Gate:
    """One aggregate gate: ``metric`` must satisfy ``bound``.

    ``production`` is the production target; when it differs from ``bound`` the
    profile is below production target for this metric, and ``todo`` marks a
    figure that has not been measured on the trained model yet.
    """

    metric: str
    bound: Bound
    production: Bound
    below_production: bool = False
    todo: bool = False
    note: str = ""

    @property
    def layer(self) -> str:
        return self.metric.partition(".")[0]


@dataclass(frozen=True)
class Thresholds:
    profile: str
    path: Path
    description: str
    gates: tuple[Gate, ...]
    compare_alpha: float
    # Optional non-inferiority margins per layer ([compare] non_inferiority), and the share of
    # cases two equally good models are expected to flip either way ([compare] discordance),
    # which sets how large a margin the layer's case count can support.
    non_inferiority: dict[str, float] = field(default_factory=dict)
    discordance: float = 0.10

    def for_layer(self, layer: str) -> tuple[Gate, ...]:
        return tuple(g for g in self.gates if g.layer == layer)

    def gate(self, metric: str) -> Gate | None:
        return next((g for g in self.gates if g.metric == metric), None)


def threshold_profiles() -> tuple[str, ...]:
    return tuple(sorted(p.stem for p in resource_dir("thresholds").glob("*.toml")))


def _threshold_name(profile: str) -> str:
    """A threshold file name, or a model profile's ``thresholds`` key (qwen3-4b -> production)."""
    if (resource_dir("thresholds") / f"{profile}.toml").is_file():
        return profile
    try:
        model_profile = resource_dir("profiles") / f"{profile}.toml"
    except FileNotFoundError:
        return profile
    if model_profile.is_file():
        try:
            name = tomllib.loads(read_text(model_profile)).get("thresholds")
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"cannot read model profile {model_profile}: {exc}") from exc
        if isinstance(name, str) and name:
            return name
    return profile


def _bound(where: str, spec: object) -> tuple[Bound, bool, str]:
    if not isinstance(spec, dict):
        raise ConfigError(f"{where}: expected an inline table like {{ min = 0.9 }}, got {spec!r}")
    ops = [k for k in spec if k in _OPS]
    extra = set(spec) - set(_OPS) - {"todo", "note"}
    if len(ops) != 1 or extra:
        raise ConfigError(
            f"{where}: give exactly one of min/above/max/below (plus optional todo, note); "
            f"got {sorted(spec)}"
        )
    value = spec[ops[0]]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConfigError(f"{where}: bound must be a number, got {value!r}")
    todo = spec.get("todo", False)
    if not isinstance(todo, bool):
        raise ConfigError(f"{where}: todo must be true or false")
    return Bound(_OPS[ops[0]], float(value)), todo, str(spec.get("note", ""))


def _check_direction(where: str, metric: str, bound: Bound) -> None:
    wants_high = higher_is_better(metric)
    if wants_high != (bound.op in (">=", ">")):
        raise ConfigError(
            f"{where}: {metric} is better when {'higher' if wants_high else 'lower'}; "
            f"use {'min/above' if wants_high else 'max/below'}"
        )


def _table(where: str, data: dict, layer: str) -> dict[str, dict]:
    table = data.get(layer, {})
    if not isinstance(table, dict):
        raise ConfigError(f"{where}: [{layer}] must be a table")
    for metric in table:
        if not metric_known(f"{layer}.{metric}"):
            known = ", ".join(METRICS[layer])
            raise ConfigError(f"{where}: unknown metric {layer}.{metric}; known: {known}")
    return table


def load_thresholds(profile: str | Path = "nano") -> Thresholds:
    """Read ``thresholds/<profile>.toml`` (or a path) into frozen gates."""
    path = Path(profile)
    if path.suffix != ".toml":
        path = resource_dir("thresholds") / f"{_threshold_name(str(profile))}.toml"
        if not path.is_file():
            raise ConfigError(
                f"no thresholds for profile {str(profile)!r} ({path}); available: "
                + ", ".join(threshold_profiles())
            )
    try:
        data = tomllib.loads(read_text(path))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ConfigError(f"cannot read thresholds {path}: {exc}") from exc
    where = str(path)
    unknown = set(data) - set(METRICS) - {"profile", "description", "compare", _BELOW}
    if unknown:
        raise ConfigError(f"{where}: unknown tables/keys {sorted(unknown)}")
    name = data.get("profile", path.stem)
    below = data.get(_BELOW, {})
    if not isinstance(below, dict) or set(below) - set(METRICS):
        raise ConfigError(f"{where}: [{_BELOW}] may only hold layer tables {list(METRICS)}")
    gates: list[Gate] = []
    for layer in METRICS:
        main = _table(where, data, layer)
        lowered = _table(f"{where} [{_BELOW}]", below, layer)
        for metric, spec in main.items():
            full = f"{layer}.{metric}"
            production, todo, note = _bound(f"{where} {full}", spec)
            _check_direction(where, full, production)
            if metric in lowered:
                bound, todo, note = _bound(f"{where} [{_BELOW}] {full}", lowered[metric])
                _check_direction(where, full, bound)
                gates.append(Gate(full, bound, production, True, todo, note))
            else:
                gates.append(Gate(full, production, production, False, todo, note))
        orphans = set(lowered) - set(main)
        if orphans:
            raise ConfigError(
                f"{where}: [{_BELOW}.{layer}] lists {sorted(orphans)} "
                f"without a production target in [{layer}]"
            )
    compare = data.get("compare", {})
    alpha = compare.get("alpha", 0.05) if isinstance(compare, dict) else None
    if not isinstance(alpha, (int, float)) or isinstance(alpha, bool) or not 0 < alpha < 1:
        raise ConfigError(f"{where}: [compare] alpha must be a number in (0, 1)")
    margins = compare.get("non_inferiority", {})
    if not isinstance(margins, dict):
        raise ConfigError(f"{where}: [compare] non_inferiority must be a table of layer = margin")
    for layer, margin in margins.items():
        if layer not in METRICS:
            raise ConfigError(f"{where}: [compare] non_inferiority: unknown layer {layer!r}")
        if isinstance(margin, bool) or not isinstance(margin, (int, float)) or not 0 < margin < 1:
            raise ConfigError(
                f"{where}: [compare] non_inferiority.{layer} must be a margin in (0, 1)"
            )
    discordance = compare.get("discordance", 0.10)
    if (
        isinstance(discordance, bool)
        or not isinstance(discordance, (int, float))
        or not 0 < discordance <= 1
    ):
        raise ConfigError(f"{where}: [compare] discordance must be a share in (0, 1]")
    return Thresholds(
        str(name),
        path,
        str(data.get("description", "")),
        tuple(gates),
        float(alpha),
        {layer: float(m) for layer, m in margins.items()},
        float(discordance),
    )
