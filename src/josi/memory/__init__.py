"""Athlete memory: extraction from conversations and the prompt's MEMORY block."""

from josi.memory._extract import (
    MAX_FACTS,
    MAX_NOTES,
    MAX_PATTERNS,
    extract_memory,
    fact_key,
    memory_errors,
)
from josi.memory._render import render_memory

__all__ = [
    "MAX_FACTS",
    "MAX_NOTES",
    "MAX_PATTERNS",
    "extract_memory",
    "fact_key",
    "memory_errors",
    "render_memory",
]
