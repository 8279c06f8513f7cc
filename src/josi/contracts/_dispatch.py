"""The action/tier dispatch table shared with the app (schemas/tool_dispatch.json)."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from josi._errors import ContractError
from josi._resources import resource_path
from josi.contracts._schema import ACTIONS

TOOL_DISPATCH = "tool_dispatch.json"


@cache
def load_tool_dispatch() -> dict[str, Any]:
    path = resource_path("schemas", TOOL_DISPATCH)
    table = json.loads(path.read_text(encoding="utf-8"))
    if set(table.get("actions", {})) != set(ACTIONS):
        raise ContractError(f"{path}: actions must be exactly {sorted(ACTIONS)}")
    for tier in ("monitor", "advisor", "coach"):
        if tier not in table.get("tiers", {}):
            raise ContractError(f"{path}: tier {tier!r} missing")
    return table
