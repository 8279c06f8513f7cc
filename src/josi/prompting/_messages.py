"""Chat messages for one call (interpreter or coach), within the token budget."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from josi._errors import ContractError
from josi.prompting._chatml import render_chatml
from josi.prompting._context import build_v6_context, render_gatc_result
from josi.prompting._memory import render_memory
from josi.prompting._neutralize import neutralize
from josi.prompting._system import MODES, system_prompt
from josi.prompting._tokens import PromptBudget, TokenCounter, estimate_tokens, message_tokens

INTERPRETER_MARK = "\n\n[INTERPRETER]\n"
HISTORY_ROLES = ("user", "assistant")


def _history_turns(turns: Sequence[Mapping[str, Any]] | None, limit: int) -> list[dict[str, str]]:
    """The newest ``limit`` turns, neutralized; every turn is checked, only kept ones copied."""
    checked: list[tuple[str, str]] = []
    for index, turn in enumerate(turns or ()):
        role = turn.get("role") if isinstance(turn, Mapping) else None
        if role not in HISTORY_ROLES:
            raise ContractError(
                f"history turn {index}: role must be one of {HISTORY_ROLES}, got {role!r}"
            )
        text = turn.get("content", turn.get("message"))
        if not isinstance(text, str):
            raise ContractError(f"history turn {index}: needs a text 'message' (or 'content')")
        checked.append((role, text))
    kept = checked[len(checked) - limit :] if limit else []
    return [{"role": role, "content": neutralize(text)} for role, text in kept]


def _within_budget(
    turns: list[dict[str, str]], budget: int, count: TokenCounter
) -> tuple[list[dict[str, str]], list[int]]:
    """The newest turns whose cost fits ``budget``, and their costs; each turn is counted once.

    Message costs are positive, so this is the longest suffix that fits: what dropping the
    oldest turn until the rest fits gives, without recounting the rest after every drop.
    """
    costs: list[int] = []
    spent = 0
    for turn in reversed(turns):
        cost = message_tokens(turn["content"], count)
        if spent + cost > budget:
            break
        spent += cost
        costs.append(cost)
    costs.reverse()
    return turns[len(turns) - len(costs) :], costs


def build_messages(
    mode: str,
    ctx: Mapping[str, Any],
    user_message: str,
    *,
    history: Sequence[Mapping[str, Any]] | None = None,
    interpreter_output: str | None = None,
    style: str = "full",
    budget: PromptBudget | None = None,
    count_tokens: TokenCounter | None = None,
) -> list[dict[str, str]]:
    """[system, history..., user] for one call, as the v6 guide's ``runJosi`` builds it.

    The user turn is the neutralized message, a blank line and the context block;
    in coach mode ``"\\n\\n[INTERPRETER]\\n"`` and the trimmed interpreter output
    follow. ``history`` defaults to ``ctx["history"]``. Parts are cut in the
    order documented on :class:`PromptBudget`; if the prompt still does not fit,
    ContractError says by how much.
    """
    if mode not in MODES:
        raise ContractError(f"mode must be one of {MODES}, got {mode!r}")
    if not isinstance(user_message, str):
        raise ContractError("user_message must be text")
    if mode == "coach" and not isinstance(interpreter_output, str):
        raise ContractError("coach mode needs interpreter_output (the interpreter's raw text)")
    if not isinstance(ctx, Mapping):
        raise ContractError("ctx must be a ChatContext mapping")
    budget = budget or PromptBudget()
    count = count_tokens or estimate_tokens

    persona = ctx.get("persona_id") if mode == "coach" else None
    system = {"role": "system", "content": system_prompt(mode, style, persona=persona)}
    turns = _history_turns(ctx.get("history") if history is None else history, budget.history_turns)
    v6 = build_v6_context(ctx)
    tail = ""
    if mode == "coach":
        tail = INTERPRETER_MARK + neutralize(interpreter_output.strip())
    head = neutralize(user_message) + "\n\n"

    memory_limit, gatc_limit = budget.memory, budget.gatc
    memory = render_memory(ctx.get("memory"), max_tokens=memory_limit, count_tokens=count)
    gatc = render_gatc_result(ctx.get("gatc_result"), max_tokens=gatc_limit, count_tokens=count)

    turns, costs = _within_budget(turns, budget.history, count)
    system_cost = message_tokens(system["content"], count)
    history_cost = sum(costs)
    dropped = 0
    counted: tuple[str, int] | None = None
    while True:
        content = head + v6 + memory + gatc + tail
        # The user turn changes only when memory or rationale is cut; count it once per version.
        if counted is None or counted[0] != content:
            counted = (content, message_tokens(content, count))
        overflow = system_cost + history_cost + counted[1] + budget.output - budget.total
        if overflow <= 0:
            return [system, *turns[dropped:], {"role": "user", "content": content}]
        if dropped < len(turns):
            history_cost -= costs[dropped]
            dropped += 1
        elif memory:
            memory_limit = max(0, count(memory) - overflow)
            memory = render_memory(ctx.get("memory"), max_tokens=memory_limit, count_tokens=count)
        else:
            shorter = render_gatc_result(
                ctx.get("gatc_result"),
                max_tokens=max(0, count(gatc) - overflow),
                count_tokens=count,
            )
            if shorter == gatc:
                raise ContractError(
                    f"prompt is {overflow} tokens over the {budget.total}-token context even "
                    "after dropping history, memory and rationale bullets; shorten the message"
                )
            gatc = shorter


def build_prompt(
    mode: str,
    ctx: Mapping[str, Any],
    user_message: str,
    *,
    chat_template: str | None = None,
    **kwargs: Any,
) -> str:
    """``render_chatml(build_messages(...))`` with the generation prompt appended."""
    return render_chatml(
        build_messages(mode, ctx, user_message, **kwargs), chat_template=chat_template
    )
