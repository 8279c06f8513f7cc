"""Profile families: tiny random stand-ins that prove each family's chain offline."""

from __future__ import annotations

from josi.families._tiny import (
    NEEDS_HUB_FILES,
    TINY_FAMILIES,
    TINY_MARKER,
    TinyFamily,
    build_tiny_checkpoint,
    family_of,
)

__all__ = [
    "NEEDS_HUB_FILES",
    "TINY_FAMILIES",
    "TINY_MARKER",
    "TinyFamily",
    "build_tiny_checkpoint",
    "family_of",
]
