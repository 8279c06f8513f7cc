"""Run one case against a runtime (a model, or the scripted code layer) into a scored record."""

from __future__ import annotations

import dataclasses
import resource
from typing import Any

from josi.evals._action_dist import action_facts
from josi.evals._cases import Case
from josi.evals._guarantees import route_checks, route_violations
from josi.evals._records import CaseRecord
from josi.evals._reply_scoring import reply_scores
from josi.evals._request_scoring import request_scores
from josi.scorers import Score


def context_text(case: Case) -> str:
    """Everything the model was shown about the athlete: numbers here are grounded."""
    from josi.prompting import build_context_block

    block = build_context_block(case.context)
    turns = "\n".join(t["message"] for t in case.history)
    return "\n".join(part for part in (turns, case.message, block) if part)


def _route_dict(route: Any) -> dict[str, Any] | None:
    if route is None:
        return None
    if dataclasses.is_dataclass(route):
        return dataclasses.asdict(route)
    return dict(route)


def _peak_rss_kb() -> int:
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def _base(case: Case) -> CaseRecord:
    return CaseRecord(
        id=case.id,
        layer=case.layer,
        run=case.run,
        tags=list(case.tags),
        lang=case.lang,
        persona=case.persona,
        message=case.message,
        history=[dict(t) for t in case.history],
        context=dict(case.context),
        context_text=context_text(case),
        expected=dict(case.expect),
    )


def _finish(record: CaseRecord) -> CaseRecord:
    record.judge()
    record.peak_rss_kb = _peak_rss_kb()
    return record


def _stats(record: CaseRecord, calls: list[Any]) -> None:
    record.latency_s = round(sum(c.latency_s for c in calls), 4)
    record.prompt_tokens = sum(c.prompt_tokens for c in calls)
    record.completion_tokens = sum(c.completion_tokens for c in calls)


def _score_request(record: CaseRecord, case: Case, predicted: dict[str, Any] | None) -> None:
    checks, field_accuracy = request_scores(case, predicted)
    record.expect(*checks)
    if field_accuracy is not None:
        record.collect(field_accuracy)


def _score_served_request(record: CaseRecord, case: Case, request: dict[str, Any]) -> None:
    """What the app acts on: the request after the post-processor, as ``JosiRuntime.turn``
    serves it. Collected beside the model's own request, never judged per case, so the
    layer's case outcomes (and the paired gate) stay the model's."""
    from josi.postprocess import postprocess

    if case.request is None:
        return
    served = postprocess(request, user_message=case.message, ctx=case.context).request
    checks, field_accuracy = request_scores(case, served)
    scores = [s for s in (*checks, field_accuracy) if s.name in ("action", "field_accuracy")]
    record.collect(*(dataclasses.replace(s, name=f"served_{s.name}") for s in scores))
    record.facts["served_action"] = served.get("action")


def _score_reply(record: CaseRecord, case: Case, text: str) -> None:
    collected, checks = reply_scores(case, text, record.context_text)
    record.collect(*collected)
    record.expect(*checks)


def _confidence_source(runtime: Any) -> str | None:
    return getattr(getattr(runtime, "config", None), "confidence_source", None)


def run_interpret(runtime: Any, case: Case) -> CaseRecord:
    from josi.contracts import request_errors

    record = _base(case)
    history = list(case.history) or None
    record.prompt = runtime.messages("interpreter", case.context, case.message, history=history)
    call = runtime.interpret(case.context, case.message, history)
    _stats(record, [call.stats])
    record.interpreter_raw = call.raw
    record.request = call.request
    record.violations = [f"request invalid: {e}" for e in request_errors(call.request)]
    valid = bool(call.parse.ok) and not record.violations
    record.expect(Score.binary("valid_json", valid, call.parse.reason or "parsed"))
    _score_request(record, case, call.request if valid else None)
    _score_served_request(record, case, call.request)
    # As served: from the runtime's confidence source.
    confidence = call.request.get("confidence") if valid else None
    record.collect(
        Score(
            "confidence",
            0.0 if confidence is None else float(confidence),
            confidence is not None,
            "none served" if confidence is None else f"served {confidence}",
        )
    )
    record.facts["confidence_source"] = _confidence_source(runtime)
    record.facts.update(
        action_facts(
            getattr(call, "action_probs", None),
            predicted=call.request.get("action") if valid else None,
            expected=(case.request or {}).get("action"),
            self_confidence=call.parse.request.get("confidence") if valid else None,
        )
    )
    return _finish(record)


def run_coach(runtime: Any, case: Case) -> CaseRecord:
    from josi.contracts import dumps_request
    from josi.scorers import count_questions

    record = _base(case)
    history = list(case.history) or None
    request = case.coach_request()
    output = dumps_request(request)
    record.request = request
    record.prompt = runtime.messages(
        "coach", case.context, case.message, history=history, interpreter_output=output
    )
    call = runtime.coach(case.context, case.message, output, history)
    _stats(record, [call.stats] if call.stats is not None else [])
    record.reply_source = "coach" if call.source == "model" else call.source
    record.reply = call.text
    record.coach_ran = True
    if count_questions(call.text) > 1:
        record.violations.append(f"{count_questions(call.text)} questions after the governor")
    _score_reply(record, case, call.text)
    if call.garbled:
        record.expect(
            Score.binary("not_garbled", False, "coach output would be replaced by the fallback")
        )
    return _finish(record)


def run_turn(runtime: Any, case: Case) -> CaseRecord:
    record = _base(case)
    history = list(case.history) or None
    record.prompt = runtime.messages("interpreter", case.context, case.message, history=history)
    turn = runtime.turn(case.context, case.message, history)
    _stats(record, list(turn.calls))
    record.request = turn.request
    record.interpreter_raw = turn.interpreter_raw
    record.route = _route_dict(turn.route)
    record.reply = turn.reply
    record.reply_source = turn.reply_source
    record.coach_ran = turn.coach_text is not None
    red_flags = tuple(turn.red_flags)
    record.violations = route_violations(
        case, turn.request, record.route, red_flags, turn.reply, record.coach_ran
    )
    if case.expect.get("red_flag") and not red_flags:
        record.violations.append("red-flag message not flagged by the post-processor")
    record.expect(*route_checks(case, record.route, red_flags, turn.reply_source))
    _score_request(record, case, turn.request)
    # The interpreter's distribution; its served action may differ after post-processing.
    expected = (case.request or {}).get("action")
    record.facts.update(
        action_facts(
            getattr(turn, "action_probs", None),
            predicted=None,
            expected=expected,
            self_confidence=None,
        )
    )
    if record.coach_ran and "coach_fallback" not in turn.fallbacks:
        _score_reply(record, case, turn.reply)
    elif record.coach_ran:
        record.expect(Score.binary("coach_fallback", False, f"fallbacks {list(turn.fallbacks)}"))
    return _finish(record)


_RUNNERS = {"interpret": run_interpret, "coach": run_coach, "turn": run_turn}


def run_case(runtime: Any, case: Case) -> CaseRecord:
    """Run ``case`` against ``runtime`` (a JosiRuntime) and score it."""
    return _RUNNERS[case.run](runtime, case)


def run_scripted(case: Case, request: dict[str, Any]) -> CaseRecord:
    """The whole turn of ``case`` with a scripted interpreter that writes ``request``.

    The code layer: ``JosiRuntime.turn`` itself, with no model, so route expectations are
    judged on the code the CLI and the app follow.
    """
    from josi.contracts import dumps_request
    from josi.runtime import JosiRuntime

    runtime = JosiRuntime.scripted(dumps_request(request))
    return run_turn(runtime, case)
