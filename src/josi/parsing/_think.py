"""Remove reasoning blocks a thinking model may emit before its answer."""

from __future__ import annotations

import re

_CLOSED = re.compile(r"<think>.*?</think>", re.DOTALL | re.IGNORECASE)
_OPEN = re.compile(r"<think>", re.IGNORECASE)
_CLOSE = re.compile(r"</think>", re.IGNORECASE)


def strip_thinking(text: str) -> str:
    """Drop ``<think>…</think>`` blocks and trim.

    An unclosed ``<think>`` swallows the rest of the text (the model never
    finished thinking, so nothing after it is an answer). A stray ``</think>``
    without an opening tag ends a reasoning prefix whose opening tag was part
    of the prompt, so everything up to it is dropped.
    """
    if not isinstance(text, str):
        return ""
    out = _CLOSED.sub("", text)
    closes = list(_CLOSE.finditer(out))
    if closes:
        out = out[closes[-1].end() :]
    opened = _OPEN.search(out)
    if opened:
        out = out[: opened.start()]
    return out.strip()
