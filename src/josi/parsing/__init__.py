"""Interpreter output parsing: thinking blocks, first JSON object, validation, fallback."""

from josi.parsing._json import extract_first_json_object
from josi.parsing._parse import ParseResult, fallback_request, parse_request
from josi.parsing._think import strip_thinking

__all__ = [
    "ParseResult",
    "extract_first_json_object",
    "fallback_request",
    "parse_request",
    "strip_thinking",
]
