"""Error types. Every failure a user can cause says what went wrong and what to do."""

from __future__ import annotations


class JosiError(Exception):
    """Base class for all errors Josi raises on purpose."""


class ContractError(JosiError):
    """A value does not satisfy a shared contract (schema, grammar, dispatch table)."""


class ConfigError(JosiError):
    """A profile, threshold file or override is invalid."""


class GrammarError(JosiError):
    """A GBNF grammar failed to compile; never fall back to unconstrained decoding."""


class ModelFileError(JosiError):
    """A GGUF or checkpoint is missing, truncated or not what its manifest says."""


class InputEncodingError(JosiError, ValueError):
    """An input file is not valid UTF-8; the message names the file and the byte offset."""


class MalformedInputError(JosiError, ValueError):
    """A line of an input file is not valid JSON; the message names the file and the line."""


class MissingDependencyError(JosiError, ImportError):
    """An optional heavy dependency is not installed."""


class EndpointError(JosiError):
    """A served model could not be reached, or answered with something other than a result."""
