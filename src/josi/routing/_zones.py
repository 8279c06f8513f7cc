"""Readiness levels and zone caps from tool_dispatch.json.

The one lookup both the router and the data generator use, so a dataset cannot teach other caps
than the engine enforces.
"""

from __future__ import annotations

from josi._errors import ContractError
from josi.contracts import load_tool_dispatch

LEVELS = ("Green", "Yellow", "Orange", "Red")


def normalize_level(level: str) -> str:
    """Canonical readiness level; ``Amber`` (any case) is Yellow."""
    if not isinstance(level, str):
        raise ContractError(f"readiness level must be text, got {type(level).__name__}")
    aliases = {k.lower(): v for k, v in load_tool_dispatch()["readiness"]["aliases"].items()}
    key = level.strip().lower()
    key = aliases.get(key, key).lower()
    for name in LEVELS:
        if name.lower() == key:
            return name
    raise ContractError(f"unknown readiness level {level!r}; expected one of {LEVELS} or Amber")


def zone_cap(level: str) -> str:
    """Highest zone allowed at this readiness level (Green Z6 ... Red Z2)."""
    return load_tool_dispatch()["readiness"]["zone_caps"][normalize_level(level)]


def zone_order() -> tuple[str, ...]:
    """Every zone from easiest to hardest, as the dispatch table orders them."""
    return tuple(load_tool_dispatch()["zone_order"])


def _rank(zone: str) -> int:
    order = zone_order()
    name = zone.strip().upper() if isinstance(zone, str) else zone
    if name not in order:
        raise ContractError(f"unknown zone {zone!r}; expected one of {order}")
    return order.index(name)


def cap_zone(zone: str, level: str) -> str:
    """``zone`` lowered to the cap for ``level`` when it is above it."""
    cap = zone_cap(level)
    return zone_order()[min(_rank(zone), _rank(cap))]
