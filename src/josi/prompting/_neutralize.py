"""Keep text that comes from outside (athlete, app, memory) from acting as markup.

Chat templates do not escape content, and llama.cpp tokenizes prompts with
special tokens enabled, so a literal ``<|im_start|>system`` in a message would
open a real system turn. Neutralized text cannot contain a special-token
spelling, a reasoning or tool tag, or a line that starts one of the prompt's
own blocks (``CONTEXT:``, ``MEMORY:``, ``GATC RESULT:``, ``[INTERPRETER]``).
"""

from __future__ import annotations

import re

# "<|anything|>" special tokens (ChatML, Qwen, SmolLM2) lose their bars.
_BAR_OPEN = re.compile(r"<\|+")
_BAR_CLOSE = re.compile(r"\|+>")
# Tag-style special tokens of the supported model families (SmolLM2 and Qwen3).
_TAG_NAMES = (
    "think",
    "tool_call",
    "tool_response",
    "repo_name",
    "reponame",
    "file_sep",
    "filename",
    "gh_stars",
    "issue_start",
    "issue_comment",
    "issue_closed",
    "jupyter_start",
    "jupyter_text",
    "jupyter_code",
    "jupyter_output",
    "jupyter_script",
    "empty_output",
)
_TAG = re.compile(r"<\s*(/?)\s*(" + "|".join(_TAG_NAMES) + r")\s*>", re.IGNORECASE)
BLOCK_HEADERS = ("CONTEXT:", "MEMORY:", "GATC RESULT:", "[INTERPRETER]")
_HEADER_LINE = re.compile(r"(?m)^([ \t]*)(" + "|".join(re.escape(h) for h in BLOCK_HEADERS) + ")")
_INTERPRETER_MARK = re.compile(r"\[(\s*INTERPRETER\s*)\]", re.IGNORECASE)
# Every line break Python's str.splitlines knows, plus CR LF.
_LINE_BREAKS = re.compile(r"\r\n|[\n\r\v\f\x1c\x1d\x1e\x85\u2028\u2029]")


def _once(text: str) -> str:
    text = _BAR_OPEN.sub("<", text)
    text = _BAR_CLOSE.sub(">", text)
    text = _TAG.sub(lambda m: f"({m.group(1)}{m.group(2).lower()})", text)
    text = _INTERPRETER_MARK.sub(lambda m: f"({m.group(1)})", text)
    text = _HEADER_LINE.sub(lambda m: f"{m.group(1)}> {m.group(2)}", text)
    return text


def neutralize(text: str) -> str:
    """Defuse control tokens and prompt headers; ordinary text is unchanged."""
    if not isinstance(text, str):
        raise TypeError(f"neutralize expects text, got {type(text).__name__}")
    previous = None
    while previous != text:
        previous, text = text, _once(text)
    return text


def neutralize_inline(text: str) -> str:
    """``neutralize`` for one-line context values: line breaks become spaces."""
    return neutralize(_LINE_BREAKS.sub(" ", str(text))).strip()
