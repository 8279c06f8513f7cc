"""The runtime's calls into the pure core (prompting, parsing, post-processing, routing,
governor, language), each through one small function so the turn logic stays readable
and the core's signatures are adapted in one place."""

from __future__ import annotations

from typing import Any

from josi.governor import govern as _govern
from josi.lang import detect_language
from josi.parsing import parse_request as _parse_request
from josi.parsing import strip_thinking as _strip_thinking
from josi.postprocess import postprocess as _postprocess
from josi.prompting import PromptBudget, build_messages as _build_messages, render_chatml
from josi.routing import route as _route


def build_messages(
    mode: str,
    ctx: dict[str, Any],
    user_message: str,
    *,
    history: list[dict[str, Any]] | None,
    interpreter_output: str | None,
    style: str,
    count_tokens: Any,
    n_ctx: int,
    max_tokens: int,
) -> list[dict[str, str]]:
    # The budget follows the loaded context, so a small test context truncates history
    # instead of overflowing.
    return _build_messages(mode, ctx, user_message, history=history,
                           interpreter_output=interpreter_output, style=style,
                           budget=PromptBudget(total=n_ctx, output=max_tokens),
                           count_tokens=count_tokens)


def render_chat(messages: list[dict[str, str]], chat_template: str | None, *,
                add_generation_prompt: bool, bos_token: str, eos_token: str) -> str:
    return render_chatml(messages, chat_template=chat_template,
                         add_generation_prompt=add_generation_prompt,
                         bos_token=bos_token, eos_token=eos_token)


def strip_thinking(text: str) -> str:
    return _strip_thinking(text)


def parse_request(raw: str, *, user_message: str) -> Any:
    return _parse_request(raw, user_message=user_message)


def postprocess(request: dict[str, Any], *, user_message: str, ctx: dict[str, Any]) -> Any:
    return _postprocess(request, user_message=user_message, ctx=ctx)


def route(request: dict[str, Any], ctx: dict[str, Any], *, red_flags: tuple[str, ...] = ()) -> Any:
    return _route(request, ctx, red_flags=red_flags)


def govern(text: str) -> str:
    return _govern(text)


def language(text: str, ctx: dict[str, Any]) -> str:
    default = ctx.get("language") if ctx.get("language") in ("en", "nl") else "en"
    return detect_language(text, default=default)
