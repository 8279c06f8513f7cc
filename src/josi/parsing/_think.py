"""Remove reasoning blocks a thinking model may emit before its answer."""

from __future__ import annotations

_OPEN = "<think>"
_CLOSE = "</think>"


def strip_thinking(text: str) -> str:
    """Drop ``<think>…</think>`` blocks and trim.

    An unclosed ``<think>`` swallows the rest of the text (the model never
    finished thinking, so nothing after it is an answer). A stray ``</think>``
    without an opening tag ends a reasoning prefix whose opening tag was part
    of the prompt, so everything up to it is dropped.

    Tags inside a string of a JSON object are words, not reasoning: the request's
    ``free_text`` copies the athlete's message, which may hold "</think>" or "<think>",
    and cutting there would turn a valid request into a fallback.
    """
    if not isinstance(text, str):
        return ""
    lower = text.lower()
    kept: list[str] = []
    start = 0  # start of the text kept since the last cut
    depth, in_string, i = 0, False, 0
    while i < len(text):
        if in_string:
            if text[i] == "\\":
                i += 2
                continue
            in_string = text[i] != '"'
            i += 1
            continue
        if lower.startswith(_OPEN, i):
            kept.append(text[start:i])
            close = lower.find(_CLOSE, i + len(_OPEN))
            if close < 0:
                start = i = len(text)
                break
            start = i = close + len(_CLOSE)
            continue
        if lower.startswith(_CLOSE, i):
            kept, depth = [], 0
            start = i = i + len(_CLOSE)
            continue
        char = text[i]
        if char == "{":
            depth += 1
        elif char == "}":
            depth = max(0, depth - 1)
        elif char == '"' and depth > 0:
            in_string = True
        i += 1
    kept.append(text[start:])
    return "".join(kept).strip()
