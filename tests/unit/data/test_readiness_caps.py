"""The generator caps zones through the router's lookup, so a dataset cannot teach other caps."""

from __future__ import annotations

import pytest

from josi._errors import ContractError
from josi.contracts import load_tool_dispatch
from josi.data._contexts import canonical_level, level_cap_index, zone_allowed
from josi.knowledge import readiness
from josi.routing import LEVELS, zone_cap, zone_order


@pytest.mark.parametrize("level", [*LEVELS, "Amber"])
def test_generator_cap_is_the_router_cap(level: str) -> None:
    cap = zone_cap(level)
    assert zone_order()[level_cap_index(level)] == cap
    assert zone_allowed(cap, level)


@pytest.mark.parametrize("level", ["Yellow", "Amber", "Orange", "Red"])
def test_generator_never_plans_above_the_router_cap(level: str) -> None:
    above = zone_order()[zone_order().index(zone_cap(level)) + 1 :]
    assert not any(zone_allowed(zone, level) for zone in above)


def test_generator_resolves_aliases_like_the_router() -> None:
    assert canonical_level({"readiness": {"level": "Amber"}}) == "Yellow"
    with pytest.raises(ContractError):
        canonical_level({"readiness": {"level": "Purple"}})
    with pytest.raises(ContractError):
        zone_allowed("Z1", "Purple")


def test_the_knowledge_base_orders_zones_as_the_dispatch_table() -> None:
    from josi.knowledge import zones

    assert tuple(zones()["order"]) == zone_order() == tuple(load_tool_dispatch()["zone_order"])


def test_readiness_wording_covers_the_router_levels_and_holds_no_second_copy_of_the_caps() -> None:
    levels = readiness()["levels"]
    assert tuple(levels) == LEVELS
    assert not any("cap" in spec for spec in levels.values())
    assert "aliases" not in readiness()
