"""Prompt building: system prompts, the context block, the MEMORY block, messages, ChatML,
neutralizing."""

from josi.prompting._chatml import DEFAULT_CHAT_TEMPLATE, render_chatml
from josi.prompting._context import build_context_block, build_v6_context, render_gatc_result
from josi.prompting._memory import render_memory
from josi.prompting._messages import INTERPRETER_MARK, build_messages, build_prompt
from josi.prompting._neutralize import BLOCK_HEADERS, neutralize, neutralize_inline
from josi.prompting._system import (
    MODES,
    PERSONAS,
    STYLES,
    persona_voice,
    prompt_file,
    system_prompt,
)
from josi.prompting._tokens import MESSAGE_OVERHEAD, PromptBudget, estimate_tokens

__all__ = [
    "BLOCK_HEADERS",
    "DEFAULT_CHAT_TEMPLATE",
    "INTERPRETER_MARK",
    "MESSAGE_OVERHEAD",
    "MODES",
    "PERSONAS",
    "STYLES",
    "PromptBudget",
    "build_context_block",
    "build_messages",
    "build_prompt",
    "build_v6_context",
    "estimate_tokens",
    "neutralize",
    "neutralize_inline",
    "persona_voice",
    "prompt_file",
    "render_chatml",
    "render_gatc_result",
    "render_memory",
    "system_prompt",
]
