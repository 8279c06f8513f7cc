"""The turn without a model: a scripted engine drives JosiRuntime.turn itself."""

from __future__ import annotations

import pytest

from josi.contracts import dumps_request
from josi.evals import load_cases
from josi.runtime import SCRIPTED_COACH_REPLY, JosiRuntime, call_seed


def _case(layer: str, case_id: str):
    return next(c for c in load_cases(layer) if c.id == case_id)


def test_a_scripted_turn_runs_the_coach_and_the_confirm_question():
    case = next(c for c in load_cases("golden") if c.request and c.request["action"] == "explain")
    request = dict(case.request, confidence=0.7)  # between the gate's bounds: act, then confirm
    runtime = JosiRuntime.scripted(dumps_request(request))
    turn = runtime.turn(case.context, case.message)
    assert runtime.engine.calls == ["interpreter", "coach"]
    assert turn.reply_source == "coach" and turn.route.confirm
    assert turn.reply.startswith(SCRIPTED_COACH_REPLY) and turn.reply.rstrip().endswith("?")


def test_a_tier_without_chat_never_reaches_the_scripted_model():
    case = next(c for c in load_cases("golden") if c.expect.get("route", {}).get("chat") is False)
    runtime = JosiRuntime.scripted(
        dumps_request({"action": "replan", "free_text": case.message, "replan_type": "skip_today"})
    )
    turn = runtime.turn(case.context, case.message)
    assert runtime.engine.calls == [] and turn.fallbacks == ("no_chat",)
    assert not turn.route.allowed and turn.reply_source == "router"


def test_red_flag_replies_come_from_the_safety_code():
    case = next(c for c in load_cases("golden") if c.expect.get("red_flag"))
    runtime = JosiRuntime.scripted(
        dumps_request({"action": "create_workout", "free_text": case.message, "sport": "run"})
    )
    turn = runtime.turn(case.context, case.message)
    assert turn.red_flags and turn.reply_source == "safety" and turn.route.engine_call is None


def test_unparsable_scripted_output_takes_the_parse_fallback():
    case = load_cases("golden")[0]
    turn = JosiRuntime.scripted("not json at all").turn(case.context, case.message)
    assert "parse_failure" in turn.fallbacks and not turn.parse_ok


def test_call_seed_depends_on_the_call_not_on_what_ran_before():
    ids = [1, 2, 3, 4]
    assert call_seed(0, "interpreter", ids) == call_seed(0, "interpreter", list(ids))
    assert call_seed(0, "interpreter", ids) != call_seed(0, "coach", ids)
    assert call_seed(0, "interpreter", ids) != call_seed(1, "interpreter", ids)
    assert call_seed(0, "interpreter", ids) != call_seed(0, "interpreter", [1, 2, 3, 5])
    assert all(0 <= call_seed(s, "coach", ids) < 2**31 for s in range(20))


@pytest.mark.parametrize("layer", ["golden", "contract"])
def test_scripted_turns_do_not_depend_on_order(layer):
    cases = [c for c in load_cases(layer) if c.request][:20]
    runtime = JosiRuntime.scripted("{}")

    def routes(order):
        out = {}
        for case in order:
            runtime.engine.interpreter_output = dumps_request(case.request)
            out[case.id] = runtime.turn(
                case.context, case.message, list(case.history) or None
            ).to_dict()
        return out

    assert routes(cases) == routes(list(reversed(cases)))


def _explain_context() -> dict:
    case = next(c for c in load_cases("golden") if c.request and c.request["action"] == "explain")
    return dict(case.context, tier="coach")


def _scripted(message: str, action: str, **fields: object) -> JosiRuntime:
    """A scripted runtime whose interpreter writes ``action`` for ``message`` at confidence 0.95."""
    request = {"action": action, "free_text": message, "confidence": 0.95, **fields}
    return JosiRuntime.scripted(dumps_request(request))


@pytest.mark.parametrize(
    ("message", "intent"),
    [
        ("Can you make today's session harder? I feel great", "plan_change"),
        ("I want to lose 12 kg in six weeks before my race", "unrealistic_goal"),
    ],
)
def test_the_coach_step_answers_plan_changes_and_unrealistic_goals_from_code(
    message: str, intent: str
):
    ctx = _explain_context()
    runtime = _scripted(message, "answer_question", question=message)
    turn = runtime.turn(ctx, message)
    assert runtime.engine.calls == ["interpreter"], "the coach model must not run"
    assert turn.reply_source == "contract" and turn.coach_text == turn.reply
    assert len(turn.calls) == 1
    call = runtime.coach(ctx, message, "{}")
    assert call.source == "contract" and call.intent == intent and call.stats is None


def test_the_coach_model_writes_the_reply_when_code_replies_are_off():
    ctx = _explain_context()
    message = "Can you make today's session harder? I feel great"
    runtime = _scripted(message, "answer_question", question=message)
    off = runtime.with_config(coach_contract_replies=False)
    turn = off.turn(ctx, message)
    assert turn.reply_source == "coach" and turn.reply.startswith(SCRIPTED_COACH_REPLY)


@pytest.mark.parametrize(
    ("message", "action", "fields"),
    [
        (
            "Can you make today's session harder? I feel great",
            "replan",
            {"replan_type": "reduce_intensity"},
        ),
        ("Zet meer zone 5 in mijn week", "create_workout", {"sport": "run"}),
        ("I want to lose 12 kg in six weeks before my race", "create_workout", {"sport": "run"}),
    ],
)
def test_a_plan_change_the_interpreter_routes_to_the_engine_never_reaches_it(
    message: str, action: str, fields: dict
):
    ctx = _explain_context()
    runtime = _scripted(message, action, **fields)
    turn = runtime.turn(ctx, message)
    assert turn.route.engine_call is None and turn.request["action"] == "answer_question"
    assert turn.reply_source == "contract" and runtime.engine.calls == ["interpreter"]
    assert any(change.startswith(f"action: {action} -> answer_question") for change in turn.changes)


def test_a_swap_of_two_days_stays_a_replan():
    ctx = _explain_context()
    message = "switch today with friday pls"
    turn = _scripted(message, "replan", replan_type="swap_days").turn(ctx, message)
    assert turn.request["action"] == "replan" and turn.route.engine_call == "replan"


@pytest.mark.parametrize("mode", ["interpreter", "coach"])
def test_the_prompt_shows_only_the_newer_of_two_facts_about_one_thing(mode):
    case = load_cases("golden")[0]
    facts = [
        {"fact": f"Weekly volume: {km} km", "confidence": confidence, "learned_at": when}
        | {"category": "general", "source": "conversation"}
        for km, confidence, when in ((30, 0.95, "2026-01-05T08:00:00Z"), (45, 0.7, "2026-02-10"))
    ]
    ctx = {**case.context, "memory": {"key_facts": facts}}
    request = dumps_request({"action": "create_workout", "free_text": "hoi", "sport": "run"})
    runtime = JosiRuntime.scripted(request)
    output = request if mode == "coach" else None
    messages = runtime.messages(mode, ctx, case.message, interpreter_output=output)
    prompt = "".join(m["content"] for m in messages)
    assert "45 km" in prompt and "30 km" not in prompt
    assert ctx["memory"]["key_facts"] == facts  # the caller's context is not changed
