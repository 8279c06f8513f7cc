"""Josi: the contract, training, export and release-gate toolkit for an on-device
running and cycling coach model.

The top level re-exports the pieces an app port or a script needs for one turn;
each area (``josi.contracts``, ``josi.prompting``, ``josi.data``,
``josi.training``, ``josi.export``, ``josi.runtime``, ``josi.evals``,
``josi.pipeline``) has its own small public surface. Nothing heavy is imported
here: torch and llama.cpp load only when a model is trained or run.
"""

from josi._errors import (
    ConfigError,
    ContractError,
    GrammarError,
    InputEncodingError,
    JosiError,
    MissingDependencyError,
    ModelFileError,
)
from josi.contracts import (
    ACTIONS,
    canonical_request,
    dumps_request,
    grammar_text,
    load_schema,
    load_tool_dispatch,
    request_errors,
    validate_context,
    validate_request,
)
from josi.governor import govern
from josi.lang import detect_language
from josi.memory import extract_memory, render_memory
from josi.parsing import ParseResult, parse_request
# `postprocess` stays reachable as josi.postprocess.postprocess: re-exporting the
# function here would shadow its own subpackage.
from josi.postprocess import PostResult, detect_red_flags, extract_minutes
from josi.prompting import build_context_block, build_messages, render_chatml
from josi.routing import RouteDecision, route
from josi.runtime import JosiRuntime, RuntimeConfig, TurnResult

__version__ = "0.1.0"

__all__ = [
    "ACTIONS",
    "ConfigError",
    "ContractError",
    "GrammarError",
    "InputEncodingError",
    "JosiError",
    "JosiRuntime",
    "MissingDependencyError",
    "ModelFileError",
    "ParseResult",
    "PostResult",
    "RouteDecision",
    "RuntimeConfig",
    "TurnResult",
    "build_context_block",
    "build_messages",
    "canonical_request",
    "detect_language",
    "detect_red_flags",
    "dumps_request",
    "extract_memory",
    "extract_minutes",
    "govern",
    "grammar_text",
    "load_schema",
    "load_tool_dispatch",
    "parse_request",
    "render_chatml",
    "render_memory",
    "request_errors",
    "route",
    "validate_context",
    "validate_request",
]
