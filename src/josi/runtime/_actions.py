"""The action distribution of one interpreter call: P(action | prompt) at the action position.

The interpreter's request opens with ``{"action":"`` and the grammar then admits exactly the
five action values. After generation, the generated tokens up to that point are the prefix,
and the engine scores each value as its continuation (``Engine.score_continuations``).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from josi.contracts import ACTIONS

_ACTION_KEY = re.compile(r'"action"\s*:\s*"')
_THINK_END = "</think>"


def action_prefix_len(detokenize: Any, ids: Sequence[int]) -> int | None:
    """How many of ``ids`` precede the action value, or None when no token boundary is there.

    ``detokenize`` maps token ids to text. None when the output has no action key (a parse
    failure) or a token spans the opening quote and the value, so no prefix of the
    generated tokens ends where the value begins.
    """
    text = detokenize(list(ids))
    start = text.rfind(_THINK_END)
    match = _ACTION_KEY.search(text, max(start, 0))
    if match is None:
        return None
    for k in range(1, len(ids) + 1):
        length = len(detokenize(list(ids[:k])))
        if length == match.end():
            return k
        if length > match.end():
            return None
    return None


def score_actions(engine: Any, prompt_ids: Sequence[int], generated: Sequence[int]) -> Any:
    """The engine's ContinuationScores over the five actions; None without an action position."""
    k = action_prefix_len(engine.detokenize, generated)
    if k is None:
        return None
    return engine.score_continuations(prompt_ids, generated[:k], ACTIONS)
