"""Josi: the contract, training, export and release-gate toolkit for an on-device
running and cycling coach model.

The public surface is re-exported here; implementation lives in private modules.
"""

from josi._errors import (
    ConfigError,
    ContractError,
    GrammarError,
    JosiError,
    MissingDependencyError,
    ModelFileError,
)
from josi.contracts import (
    ACTIONS,
    canonical_request,
    dumps_request,
    load_schema,
    load_tool_dispatch,
    request_errors,
    validate_context,
    validate_request,
)

__version__ = "0.1.0"

__all__ = [
    "ACTIONS",
    "ConfigError",
    "ContractError",
    "GrammarError",
    "JosiError",
    "MissingDependencyError",
    "ModelFileError",
    "canonical_request",
    "dumps_request",
    "load_schema",
    "load_tool_dispatch",
    "request_errors",
    "validate_context",
    "validate_request",
]
