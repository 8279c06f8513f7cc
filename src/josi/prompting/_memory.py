"""Render athlete memory into the prompt's MEMORY block within a token budget."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from josi.prompting._neutralize import neutralize_inline
from josi.prompting._tokens import estimate_tokens

HEADER = "MEMORY:\n"
# Patterns and coaching notes are inferences without a stored confidence; they
# rank below every fact the extractor writes (0.6 and up) when space runs out.
IMPLIED_CONFIDENCE = 0.5


def _lines(memory: Mapping[str, Any]) -> list[tuple[str, tuple[float, str, int, int]]]:
    """(line, drop key): lower keys are dropped first."""
    out: list[tuple[str, tuple[float, str, int, int]]] = []
    for index, fact in enumerate(memory.get("key_facts") or ()):
        text = neutralize_inline(fact.get("fact", "")) if isinstance(fact, Mapping) else ""
        if text:
            try:
                confidence = float(fact.get("confidence", 0.0))
            except (TypeError, ValueError):
                confidence = 0.0
            learned = str(fact.get("learned_at", ""))
            out.append((text, (confidence, learned, 0, index)))
    for group, key in ((1, "patterns"), (2, "coaching_notes")):
        for index, item in enumerate(memory.get(key) or ()):
            text = neutralize_inline(item) if isinstance(item, str) else ""
            if text:
                out.append((text, (IMPLIED_CONFIDENCE, "", group, index)))
    return out


def render_memory(
    memory: Mapping[str, Any] | None,
    *,
    max_tokens: int = 400,
    count_tokens: Callable[[str], int] | None = None,
) -> str:
    """The MEMORY block (``"MEMORY:\\n- fact\\n..."``), or ``""`` when nothing fits.

    Facts come first in stored order, then patterns, then coaching notes. Over
    budget, the line with the lowest confidence goes first (patterns and notes
    count as ``IMPLIED_CONFIDENCE``); on a tie the older one goes first.
    """
    if not memory:
        return ""
    count = count_tokens or estimate_tokens
    lines = _lines(memory)
    drop_order = sorted(range(len(lines)), key=lambda i: lines[i][1])
    keep = set(range(len(lines)))
    while keep:
        block = HEADER + "".join(f"- {lines[i][0]}\n" for i in range(len(lines)) if i in keep)
        if count(block) <= max_tokens:
            return block
        keep.discard(drop_order[len(lines) - len(keep)])
    return ""
