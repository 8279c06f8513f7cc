"""The coach step's code replies: plan changes (contract I6) and unrealistic goals.

When a message reaches the coach (explain or answer_question) and asks to change the plan or
names a goal that cannot be reached safely in the time given, code answers with a fixed,
localized reply from the dispatch table and the coach model does not run, as for red flags:
the small default model neither declines plan changes nor pushes back reliably. Detection is
the lexicon in ``josi.postprocess`` (``detect_coach_intent``), backed for plan changes by the
learned reading (``josi.postprocess._learned``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from josi.contracts import load_tool_dispatch
from josi.postprocess import detect_coach_intent, planned_minutes
from josi.routing._route import message as app_message

# The dispatch-table message each intent is answered with; plan changes are worded per tier,
# since only the coach tier can ask for a replan.
_MESSAGE_KEYS = {
    "plan_change": "plan_change_declined_{tier}",
    "unrealistic_goal": "unrealistic_goal",
}


@dataclass(frozen=True)
class ContractReply:
    intent: str  # "plan_change" or "unrealistic_goal"
    rule: str  # the lexicon rule that matched
    text: str  # the fixed reply in the message's language


def coach_contract_reply(message: str, ctx: Mapping[str, Any], lang: str) -> ContractReply | None:
    """The fixed reply for a coach-bound ``message`` that code answers, or None (the model does)."""
    # The learned reading backs the lexicon here only: a false reading costs the fixed reply
    # in place of the model's, where in the post-processor it would refuse an engine request.
    hit = detect_coach_intent(message, planned=planned_minutes(ctx), learned=True)
    if hit is None:
        return None
    key = _MESSAGE_KEYS[hit.intent].format(tier=ctx.get("tier"))
    if key not in load_tool_dispatch()["messages"]:
        key = _MESSAGE_KEYS[hit.intent].format(tier="advisor")
    return ContractReply(hit.intent, hit.rule, app_message(key, lang))
