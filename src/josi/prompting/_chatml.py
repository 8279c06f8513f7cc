"""Render messages with the model's own Jinja chat template, as transformers does."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any

from josi._errors import ContractError

# tokenizer.chat_template of the embedded SmolLM2-135M-Instruct GGUF (ChatML).
DEFAULT_CHAT_TEMPLATE = (
    "{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}"
    "{{ '<|im_start|>system\\nYou are a helpful AI assistant named SmolLM, trained by Hugging Face"
    "<|im_end|>\\n' }}{% endif %}{{'<|im_start|>' + message['role'] + '\\n' + message['content']"
    " + '<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}"
    "{{ '<|im_start|>assistant\\n' }}{% endif %}"
)


@lru_cache(maxsize=8)
def _compile(template: str):
    import jinja2
    import jinja2.ext
    from jinja2.sandbox import ImmutableSandboxedEnvironment

    def raise_exception(message: str) -> None:
        raise jinja2.exceptions.TemplateError(message)

    def tojson(
        x: Any,
        ensure_ascii: bool = False,
        indent: int | None = None,
        separators: Any = None,
        sort_keys: bool = False,
    ) -> str:
        return json.dumps(
            x, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys
        )

    def strftime_now(format: str) -> str:
        return datetime.now().strftime(format)

    # Same environment settings as transformers' apply_chat_template, so the
    # string rendered here is the string the model was trained on.
    env = ImmutableSandboxedEnvironment(
        trim_blocks=True, lstrip_blocks=True, extensions=[jinja2.ext.loopcontrols]
    )
    env.filters["tojson"] = tojson
    env.globals["raise_exception"] = raise_exception
    # Llama 3's template writes today's date into the system turn when this exists, as it does
    # in transformers; leaving it out would serve a different prompt than training rendered.
    env.globals["strftime_now"] = strftime_now
    try:
        return env.from_string(template)
    except jinja2.TemplateError as exc:
        raise ContractError(f"chat template does not compile: {exc}") from exc


def render_chatml(
    messages: Sequence[Mapping[str, str]],
    *,
    chat_template: str | None = None,
    add_generation_prompt: bool = True,
    bos_token: str = "",
    eos_token: str = "",
    enable_thinking: bool = False,
) -> str:
    """The prompt text for ``messages`` under ``chat_template`` (default: SmolLM2 ChatML).

    ``enable_thinking`` is passed to the template: Qwen3's template opens an empty
    think block when it is false, which is how Josi trains and serves (thinking off
    conflicts with grammar-constrained output); other templates ignore it.
    """
    import jinja2

    for index, message in enumerate(messages):
        if not isinstance(message.get("role"), str) or not isinstance(message.get("content"), str):
            raise ContractError(f"message {index} needs string 'role' and 'content'")
    template = _compile(chat_template or DEFAULT_CHAT_TEMPLATE)
    try:
        return template.render(
            messages=[dict(m) for m in messages],
            add_generation_prompt=add_generation_prompt,
            bos_token=bos_token,
            eos_token=eos_token,
            enable_thinking=enable_thinking,
        )
    except jinja2.TemplateError as exc:
        raise ContractError(f"chat template failed to render: {exc}") from exc
