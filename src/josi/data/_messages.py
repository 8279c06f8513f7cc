"""The one place rows get their ``messages`` and the text the model actually sees."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


def build_row_messages(
    mode: str,
    ctx: Mapping[str, Any],
    user: str,
    *,
    history: Sequence[Mapping[str, str]] = (),
    interpreter_output: str | None = None,
) -> list[dict[str, str]]:
    from josi.prompting import build_messages

    return build_messages(
        mode,
        ctx,
        user,
        history=list(history),
        interpreter_output=interpreter_output,
        style="full",
    )


def visible_text(messages: Sequence[Mapping[str, str]]) -> str:
    """Everything except the system prompt: the grounding source for a reply."""
    return "\n".join(m["content"] for m in messages if m.get("role") != "system")
