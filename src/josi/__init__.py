"""Josi: the contract, training, export and release-gate toolkit for an on-device
running and cycling coach model.

The top level re-exports the pieces an app port or a script needs for one turn;
each area (``josi.contracts``, ``josi.prompting``, ``josi.data``,
``josi.training``, ``josi.export``, ``josi.runtime``, ``josi.evals``,
``josi.pipeline``) has its own small public surface. Nothing is imported here:
each name loads its module on first use, so ``import josi`` (which the pytest
plugin does on every test run) costs no schema validator, runtime or torch.
"""

from __future__ import annotations

import importlib

__version__ = "0.1.0"

# `postprocess` stays reachable as josi.postprocess.postprocess: re-exporting the
# function here would shadow its own subpackage.
_EXPORTS = {
    "josi._errors": (
        "ConfigError",
        "ContractError",
        "GrammarError",
        "InputEncodingError",
        "JosiError",
        "MissingDependencyError",
        "ModelFileError",
    ),
    "josi.contracts": (
        "ACTIONS",
        "canonical_request",
        "dumps_request",
        "grammar_text",
        "load_schema",
        "load_tool_dispatch",
        "request_errors",
        "validate_context",
        "validate_request",
    ),
    "josi.governor": ("govern",),
    "josi.lang": ("detect_language",),
    "josi.memory": ("extract_memory", "render_memory"),
    "josi.parsing": ("ParseResult", "parse_request"),
    "josi.postprocess": ("PostResult", "detect_red_flags", "extract_minutes"),
    "josi.prompting": ("build_context_block", "build_messages", "render_chatml"),
    "josi.routing": ("RouteDecision", "route"),
    "josi.runtime": ("JosiRuntime", "RuntimeConfig", "TurnResult"),
}
_MODULE_OF = {name: module for module, names in _EXPORTS.items() for name in names}

__all__ = sorted(_MODULE_OF)


def __getattr__(name: str) -> object:
    if name in _MODULE_OF:
        value = getattr(importlib.import_module(_MODULE_OF[name]), name)
    else:
        # A subpackage (josi.contracts, ...) is an attribute as soon as it is asked for.
        missing = AttributeError(f"module {__name__!r} has no attribute {name!r}")
        if name.startswith("_"):
            raise missing
        try:
            value = importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{__name__}.{name}":
                raise
            raise missing from None
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_MODULE_OF})
