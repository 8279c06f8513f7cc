"""Late imports of heavy optional dependencies with an actionable error."""

from __future__ import annotations

import importlib
from types import ModuleType

from josi._errors import MissingDependencyError

_EXTRA_OF = {
    "torch": "train",
    "transformers": "train",
    "peft": "train",
    "trl": "train",
    "datasets": "train",
    "accelerate": "train",
    "safetensors": "train",
    "gguf": "train",
    "llama_cpp": "runtime",
    "numpy": "runtime",
    "matplotlib": "report",
    "uvicorn": "server",
    "fastapi": "server",
    "wandb": "train",
    "bitsandbytes": "gpu",
}


def require(module: str) -> ModuleType:
    """Import ``module`` or raise an error that names the extra to install."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        top = module.split(".")[0]
        extra = _EXTRA_OF.get(top, "all")
        raise MissingDependencyError(
            f"{module!r} is needed here but is not installed. "
            f"Install it with: pip install 'josi[{extra}]' (or: nox -s dev)"
        ) from exc
