"""Athlete memory: extraction from conversations and the prompt's MEMORY block.

The block is rendered by ``josi.prompting``, which owns the prompt's other blocks and
their budgets; it stays reachable here as ``josi.memory.render_memory``, the name the
conformance vectors give it.
"""

from josi.memory._extract import (
    MAX_FACTS,
    MAX_NOTES,
    MAX_PATTERNS,
    current_memory,
    extract_memory,
    fact_key,
    memory_errors,
)
from josi.prompting import render_memory

__all__ = [
    "MAX_FACTS",
    "MAX_NOTES",
    "MAX_PATTERNS",
    "current_memory",
    "extract_memory",
    "fact_key",
    "memory_errors",
    "render_memory",
]
