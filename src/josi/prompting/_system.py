"""System prompts for the two modes, read from the shared ``prompts/`` folder."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

from josi._errors import ContractError
from josi._resources import resource_path

MODES = ("interpreter", "coach")
STYLES = ("full", "compact")
PERSONAS = ("balanced", "direct", "technical", "encouraging")
PERSONA_SLOT = "{persona}"
PERSONA_FILE = "josi_v6_personas.json"


def prompt_file(mode: str, style: str = "full") -> str:
    if mode not in MODES:
        raise ContractError(f"mode must be one of {MODES}, got {mode!r}")
    if style not in STYLES:
        raise ContractError(f"prompt style must be one of {STYLES}, got {style!r}")
    return f"josi_v6_{mode}.txt" if style == "full" else f"josi_v6_{mode}.compact.txt"


@cache
def _read(name: str) -> str:
    return resource_path("prompts", name).read_text(encoding="utf-8").strip()


@cache
def _personas() -> dict[str, Any]:
    return json.loads(_read(PERSONA_FILE))


def persona_voice(persona: str | None, style: str = "full") -> str:
    table = _personas()
    name = persona or table["default"]
    if name not in table["personas"]:
        raise ContractError(f"unknown persona {name!r}; expected one of {PERSONAS}")
    return table["personas"][name][style]


def system_prompt(mode: str, style: str = "full", *, persona: str | None = None) -> str:
    """The system prompt for ``mode``; coach prompts carry the persona's voice line.

    The prompt files hold ``{persona}`` where the voice goes, so the app and
    this code fill the same slot (default persona: balanced).
    """
    text = _read(prompt_file(mode, style))
    if PERSONA_SLOT in text:
        text = text.replace(PERSONA_SLOT, persona_voice(persona, style))
    return text
