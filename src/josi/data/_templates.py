"""Message and reply templates shipped as TOML beside the generator."""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources
from typing import Any

from josi._errors import ContractError


@cache
def templates(name: str) -> dict[str, Any]:
    ref = resources.files("josi.data").joinpath("templates", f"{name}.toml")
    try:
        return tomllib.loads(ref.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ContractError(f"template file {name}.toml is missing from the josi package") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ContractError(f"template file {name}.toml is not valid TOML: {exc}") from exc
