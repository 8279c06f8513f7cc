"""The llama.cpp kernel settings a benchmark measures its GGUF under, as one set of flags."""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path
from typing import Any

_FIELDS = ("flash_attn", "kv_cache_type")


def shipped() -> dict[str, Any]:
    """The settings the runtime serves with unless told otherwise (its defaults)."""
    from josi.runtime import RuntimeConfig

    return {f.name: f.default for f in dataclasses.fields(RuntimeConfig) if f.name in _FIELDS}


def add_arguments(parser: argparse.ArgumentParser, subject: str) -> None:
    """``--flash-attn`` and ``--kv-cache-type``, applied to ``subject`` (e.g. "--gguf")."""
    from josi.runtime import KV_CACHE_TYPES

    parser.add_argument(
        "--flash-attn", action="store_true", help=f"{subject} with llama.cpp's flash attention"
    )
    parser.add_argument(
        "--kv-cache-type",
        default=shipped()["kv_cache_type"],
        choices=KV_CACHE_TYPES,
        help=f"{subject}'s KV cache storage type (q8_0 needs --flash-attn)",
    )


def settings(
    parser: argparse.ArgumentParser, args: argparse.Namespace, gguf: Path
) -> dict[str, Any]:
    """The RuntimeConfig fields the flags set; a setting the runtime refuses is a usage error."""
    from josi._errors import ConfigError
    from josi.runtime import RuntimeConfig

    fields = {name: getattr(args, name) for name in _FIELDS}
    try:
        RuntimeConfig(gguf=gguf, **fields)
    except ConfigError as error:
        parser.error(str(error))
    return fields
