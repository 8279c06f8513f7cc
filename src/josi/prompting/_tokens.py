"""Token budget of one prompt (4,096-token context) and a conservative estimator."""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

TokenCounter = Callable[[str], int]

# Tokens ChatML adds around one message: "<|im_start|>role\n" ... "<|im_end|>\n".
MESSAGE_OVERHEAD = 5


def estimate_tokens(text: str) -> int:
    """Upper estimate of the token count: one token per two UTF-8 bytes.

    Measured on the SmolLM2 tokenizer, English prose runs at about 4 bytes per
    token, Dutch at 2.4 and digit-heavy text or JSON at 2.1-2.8, so halving the
    byte count over-counts everything realistic the prompt carries.
    """
    return math.ceil(len(text.encode("utf-8")) / 2)


@dataclass(frozen=True)
class PromptBudget:
    """Token allowance per prompt part; ``total`` is the model context.

    History keeps at most the newest ``history_turns`` turns (the ChatContext
    schema's ``history.maxItems``) before anything is tokenised, so a longer
    history costs no more than a full one, and each kept turn is counted once.
    Truncation order when a part or the total is over budget: history (oldest
    turn first), then memory (lowest-confidence fact first, then oldest pattern,
    then oldest coaching note), then GATC rationale bullets (last bullet first).
    The system prompt, the context lines, the interpreter output and the
    athlete's message are never cut.
    """

    total: int = 4096
    system: int = 400
    context: int = 250
    memory: int = 400
    gatc: int = 200
    history: int = 500
    history_turns: int = 20
    user: int = 100
    output: int = 300

    def __post_init__(self) -> None:
        names = (
            "total",
            "system",
            "context",
            "memory",
            "gatc",
            "history",
            "history_turns",
            "user",
            "output",
        )
        for name in names:
            value = getattr(self, name)
            if not isinstance(value, int) or value < 0:
                raise ValueError(f"PromptBudget.{name} must be a non-negative int, got {value!r}")
        if self.output >= self.total:
            raise ValueError("PromptBudget.output must be smaller than total")


def message_tokens(content: str, count_tokens: TokenCounter) -> int:
    return count_tokens(content) + MESSAGE_OVERHEAD
