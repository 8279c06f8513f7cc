"""Locate the contract files (schemas, grammars, prompts, profiles, thresholds).

In a checkout they live at the repository root, where the mobile app reads them
too; in an installed wheel they are shipped under ``josi/_shipped``.
"""

from __future__ import annotations

import os
from functools import cache
from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent
_SHIPPED = _PACKAGE_DIR / "_shipped"
_KINDS = ("schemas", "grammars", "prompts", "profiles", "thresholds", "fixtures")


@cache
def repo_root() -> Path | None:
    """The checkout root when running from source, else None."""
    candidate = _PACKAGE_DIR.parent.parent
    if (candidate / "pyproject.toml").is_file() and (candidate / "schemas").is_dir():
        return candidate
    return None


def resource_dir(kind: str) -> Path:
    if kind not in _KINDS:
        raise ValueError(f"unknown resource kind {kind!r}; expected one of {_KINDS}")
    root = repo_root()
    if root is not None and (root / kind).is_dir():
        return root / kind
    if (_SHIPPED / kind).is_dir():
        return _SHIPPED / kind
    raise FileNotFoundError(
        f"cannot find the {kind!r} folder: neither a source checkout nor an installed josi wheel"
    )


def resource_path(kind: str, name: str) -> Path:
    path = resource_dir(kind) / name
    if not path.exists():
        raise FileNotFoundError(f"missing {kind} file: {path}")
    return path


def cache_dir() -> Path:
    """Where built artifacts (datasets, checkpoints, GGUFs) are cached by content hash."""
    override = os.environ.get("JOSI_CACHE")
    base = Path(override) if override else Path.home() / ".cache" / "josi"
    base.mkdir(parents=True, exist_ok=True)
    return base
