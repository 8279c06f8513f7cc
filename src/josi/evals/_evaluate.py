"""Run one case against a model and score it into a JSON-ready record.

A record separates two things. ``violations`` are guarantees the code gives no
matter what the model writes (a schema-valid request, tier rights, zone caps, red
flags, at most one question); every per-case test asserts there are none.
``checks`` are the case's expectations on model behaviour; ``passed`` is their
conjunction, and ``facts`` are the per-case values the layer's aggregate metrics
are computed from.
"""

from __future__ import annotations

import dataclasses
import json
import resource
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from josi.evals._action_dist import action_facts
from josi.evals._cases import Case


@dataclass(frozen=True)
class Check:
    name: str
    passed: bool
    reason: str = ""


@dataclass
class CaseRecord:
    id: str
    layer: str
    run: str
    tags: list[str]
    lang: str
    persona: str
    message: str
    history: list[dict[str, str]] = field(default_factory=list)
    context: dict[str, Any] = field(default_factory=dict)
    context_text: str = ""
    prompt: list[dict[str, str]] = field(default_factory=list)
    expected: dict[str, Any] = field(default_factory=dict)
    request: dict[str, Any] | None = None
    interpreter_raw: str = ""
    route: dict[str, Any] | None = None
    reply: str = ""
    reply_source: str = ""
    coach_ran: bool = False
    scores: list[dict[str, Any]] = field(default_factory=list)
    checks: list[dict[str, Any]] = field(default_factory=list)
    facts: dict[str, Any] = field(default_factory=dict)
    violations: list[str] = field(default_factory=list)
    passed: bool = False
    latency_s: float = 0.0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    peak_rss_kb: int = 0
    # Under the shipped sampler: did each seeded run pass (greedy ``passed`` is kept apart
    # as the reproducible reference); empty when the case ran greedily only.
    greedy_passed: bool | None = None
    samples: list[bool] = field(default_factory=list)
    sample_failures: list[str] = field(default_factory=list)

    @property
    def flaky(self) -> bool:
        """Some runs of this case pass and some fail (greedy and sampled together)."""
        outcomes = {*self.samples, *([] if self.greedy_passed is None else [self.greedy_passed])}
        return len(outcomes) > 1

    def add_samples(self, sampled: list[CaseRecord]) -> None:
        """Fold seeded runs of the same case in: it passes only if greedy and every seed pass."""
        if not sampled:
            return
        self.greedy_passed = self.passed
        self.samples = [s.passed for s in sampled]
        self.sample_failures = [f"seed {i}: {'; '.join(s.code_failures() + s.failures())[:300]}"
                                for i, s in enumerate(sampled) if not s.passed]
        self.violations += [f"seed {i}: {v}" for i, s in enumerate(sampled) for v in s.code_failures()]
        self.passed = self.passed and all(self.samples)
        self.facts["passed"] = self.passed

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self) | {"flaky": self.flaky}

    def failures(self) -> list[str]:
        return [f"{c['name']}: {c['reason']}" for c in self.checks if not c["passed"]]

    def code_failures(self) -> list[str]:
        """Broken code guarantees: violations, and the case's own route checks that failed."""
        return list(self.violations) + [f"{c['name']}: {c['reason']}" for c in self.checks
                                         if not c["passed"] and c["name"] in ROUTE_CHECKS]

    def summary(self) -> str:
        lines = [f"case {self.id} ({self.layer}, {self.run})", f"  message: {self.message}"]
        if self.request is not None:
            lines.append(f"  request: {json.dumps(self.request, ensure_ascii=False)}")
        if self.route:
            lines.append(f"  route: action={self.route.get('action')} allowed={self.route.get('allowed')} "
                         f"engine_call={self.route.get('engine_call')} zone_cap={self.route.get('zone_cap')}")
        if self.reply:
            lines.append(f"  reply: {self.reply}")
        lines += [f"  violation: {v}" for v in self.violations]
        lines += [f"  failed: {f}" for f in self.failures()]
        lines += [f"  sampled run failed: {f}" for f in self.sample_failures]
        return "\n".join(lines)


# --- helpers over the shared contracts -----------------------------------------------


@cache
def _dispatch() -> dict[str, Any]:
    from josi.contracts import load_tool_dispatch

    return load_tool_dispatch()


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


def _score_dict(score: Any) -> dict[str, Any]:
    return {"name": score.name, "value": float(score.value), "passed": bool(score.passed), "reason": score.reason}


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


# --- request scoring -----------------------------------------------------------------


def _field_value(request: dict[str, Any], name: str) -> Any:
    value = request.get(name)
    if value is None and name == "fatigue_hint":
        # Both places are schema-valid for a stated fatigue; either carries it to the engine.
        value = (request.get("constraints") or {}).get("fatigue_hint")
    return value


def request_checks(case: Case, predicted: dict[str, Any] | None) -> tuple[list[Check], float]:
    """Action plus the case's scored fields; returns the checks and the field accuracy."""
    from josi.scorers import request_fields

    expected = case.request
    if expected is None:
        return [], 1.0
    predicted = predicted or {}
    checks = [Check("action", predicted.get("action") == expected["action"],
                    f"got {predicted.get('action')!r}, want {expected['action']!r}")]
    fields = case.scored_fields()
    if not fields:
        return checks, 1.0 if checks[0].passed else 0.0
    agree = request_fields(predicted, expected)
    hits = 0
    for name in fields:
        ok = agree.get(name, False) or (_field_value(predicted, name) == expected.get(name))
        hits += ok
        checks.append(Check(f"field:{name}", ok, f"got {_field_value(predicted, name)!r}, want {expected.get(name)!r}"))
    return checks, hits / len(fields)


# --- coach reply scoring ---------------------------------------------------------------


def _invented_fact(score: Any) -> bool:
    # memory_use folds two failures into one score; its reason names invented topic groups.
    reason = score.reason or ""
    return not score.passed and "invented=[" in reason and "invented=[]" not in reason


def reply_checks(case: Case, text: str, record: CaseRecord) -> list[Check]:
    """Score a reply the athlete reads; fills ``record.scores`` and ``record.facts``."""
    from josi.scorers import coach_checks, i6_refusal, pushback

    want = dict(case.expect.get("reply", {}))
    lang = want.get("lang", case.lang)
    scores = {
        s.name: s
        for s in coach_checks(
            text,
            persona=case.persona,
            lang=lang,
            context_text=record.context_text,
            memory=case.context.get("memory"),
            gatc_result=case.context.get("gatc_result"),
        )
    }
    if want.get("i6"):
        scores["i6_refusal"] = i6_refusal(text)
    if want.get("pushback"):
        scores["pushback"] = pushback(text)
    record.scores = [_score_dict(s) for s in scores.values()]
    facts = record.facts
    facts.update(
        warmth=scores["warmth"].value,
        brevity=scores["brevity"].value,
        no_leak=scores["forbidden_words"].passed,
        jargon_free=scores["jargon"].passed,
        repetition_free=scores["repetition"].passed,
        governor=scores["governor_compliance"].passed,
        lang=scores["language_match"].passed,
        grounded=scores["grounded_numbers"].passed,
    )
    if case.context.get("gatc_result"):
        facts["references_gatc"] = scores["grounding_use"].passed
    if case.context.get("memory"):
        facts["memory"] = scores["memory_use"].passed
        facts["no_invented_fact"] = not _invented_fact(scores["memory_use"])
    checks: list[Check] = []
    if want.get("quality"):
        quality = ("warmth", "brevity", "forbidden_words", "jargon", "repetition", "governor_compliance",
                   "language_match", "grounded_numbers", "deflection")
        checks += [Check(n, scores[n].passed, scores[n].reason) for n in quality]
    else:
        checks.append(Check("forbidden_words", scores["forbidden_words"].passed, scores["forbidden_words"].reason))
        if "lang" in want:
            checks.append(Check("language_match", scores["language_match"].passed, scores["language_match"].reason))
    if want.get("grounded"):
        checks.append(Check("grounded_numbers", scores["grounded_numbers"].passed, scores["grounded_numbers"].reason))
    if want.get("references_gatc"):
        checks.append(Check("grounding_use", scores["grounding_use"].passed, scores["grounding_use"].reason))
    if want.get("memory"):
        checks.append(Check("memory_use", scores["memory_use"].passed, scores["memory_use"].reason))
    for name, key in (("i6_refusal", "i6"), ("pushback", "pushback")):
        if want.get(key):
            facts[key] = scores[name].passed
            checks.append(Check(name, scores[name].passed, scores[name].reason))
    lowered = text.casefold()
    if "newer_fact" in want:
        stale = [t for t in want["newer_fact"].get("avoid", []) if t.casefold() in lowered]
        facts["newer_fact"] = not stale
        checks.append(Check("newer_fact", not stale, f"mentions outdated {stale}" if stale else "no outdated fact"))
    if want.get("must_not_contain"):
        found = [t for t in want["must_not_contain"] if t.casefold() in lowered]
        checks.append(Check("must_not_contain", not found, f"found {found}" if found else "none"))
    if want.get("mention_any"):
        hit = [t for t in want["mention_any"] if t.casefold() in lowered]
        checks.append(Check("mention_any", bool(hit), f"mentions {hit}" if hit else "mentions none"))
    return checks


# --- code guarantees -------------------------------------------------------------------


def route_violations(case: Case, request: dict[str, Any], route: dict[str, Any],
                     red_flags: tuple[str, ...], reply: str, coach_ran: bool) -> list[str]:
    """What the router and post-processor guarantee for any model output."""
    from josi.contracts import request_errors

    out = [f"request invalid: {e}" for e in request_errors(request)]
    tier = case.context["tier"]
    action = route.get("action")
    engine_call = route.get("engine_call")
    allowed_tiers = _dispatch()["actions"].get(action, {}).get("tiers", [])
    if tier == "monitor" and (route.get("allowed") or engine_call or coach_ran):
        out.append("monitor tier has no chat, but the turn went ahead")
    if engine_call and tier not in allowed_tiers:
        out.append(f"engine call {engine_call} on tier {tier} (allowed: {allowed_tiers})")
    if engine_call == _dispatch()["actions"]["create_workout"]["engine_call"]:
        from josi.routing import zone_cap

        cap = zone_cap(case.context["readiness"]["level"])
        if route.get("zone_cap") != cap:
            out.append(f"workout zone cap {route.get('zone_cap')!r}, readiness needs {cap!r}")
    if red_flags and engine_call:
        out.append(f"red flags {list(red_flags)} but the engine was called ({engine_call})")
    if not engine_call and (not reply or not reply.strip()):
        # Engine calls show the engine's result; every other turn must say something.
        out.append("empty reply with no engine call")
    if coach_ran:
        from josi.scorers import count_questions

        if count_questions(reply) > 1:
            out.append(f"{count_questions(reply)} questions after the governor")
    return out


# The case's route expectations: guarantees the code gives for any model output.
ROUTE_CHECKS = frozenset({"tier_gating", "zone_cap", "red_flag"})


def route_checks(case: Case, route: dict[str, Any], red_flags: tuple[str, ...], reply_source: str,
                 record: CaseRecord) -> list[Check]:
    """The case's own route expectations (also facts for the contract rates).

    This is the one place a case's ``expect.route`` and ``expect.red_flag`` are read; the
    no-model code layers and the model suites both score through it.
    """
    checks: list[Check] = []
    want = case.expect.get("route", {})
    tier = case.context["tier"]
    if "deny" in want or "chat" in want:
        denied = set(want.get("deny", []))
        if want.get("chat") is False:
            ok = not route.get("allowed") and not route.get("engine_call")
            reason = f"allowed={route.get('allowed')} engine_call={route.get('engine_call')}"
        else:
            ok = not (route.get("action") in denied and (route.get("allowed") or route.get("engine_call")))
            reason = f"action={route.get('action')} allowed={route.get('allowed')} on tier {tier}"
        record.facts["tier"] = ok
        checks.append(Check("tier_gating", ok, reason))
    if "zone_cap" in want:
        # Workout engine calls carry the readiness cap; a replan goes to the plan engine, which
        # applies its own caps when the dispatch table exempts it (as the router does).
        exempt = route.get("action") == "replan" and _dispatch()["readiness"].get("plan_engine_exempt")
        ok = route.get("zone_cap") == want["zone_cap"] or not route.get("engine_call") or bool(exempt)
        record.facts["zone_cap"] = ok
        checks.append(Check("zone_cap", ok, f"zone_cap={route.get('zone_cap')!r} want {want['zone_cap']!r}"))
    if case.expect.get("red_flag"):
        # The athlete reads the fixed safety reply from code, never a model's text.
        ok = bool(red_flags) and not route.get("engine_call") and reply_source == "safety"
        record.facts["red_flag"] = ok
        checks.append(Check("red_flag", ok, f"red_flags={list(red_flags)} engine_call="
                            f"{route.get('engine_call')} reply from {reply_source or 'nowhere'}"))
    return checks


# --- runs ------------------------------------------------------------------------------


def _finish(record: CaseRecord, checks: list[Check]) -> CaseRecord:
    record.checks = [dataclasses.asdict(c) for c in checks]
    record.passed = all(c.passed for c in checks) and not record.violations
    record.facts["passed"] = record.passed
    record.peak_rss_kb = _peak_rss_kb()
    return record


def _stats(record: CaseRecord, calls: list[Any]) -> None:
    record.latency_s = round(sum(c.latency_s for c in calls), 4)
    record.prompt_tokens = sum(c.prompt_tokens for c in calls)
    record.completion_tokens = sum(c.completion_tokens for c in calls)


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
    checks, field_accuracy = request_checks(case, call.request if valid else None)
    checks.insert(0, Check("valid_json", valid, call.parse.reason or "parsed"))
    confidence = call.request.get("confidence") if valid else None
    record.facts.update(
        valid_json=valid,
        action_ok=checks[1].passed if len(checks) > 1 else valid,
        field_accuracy=field_accuracy,
        confidence=confidence,  # as served: from the runtime's confidence source
        confidence_present=confidence is not None,
        confidence_source=_confidence_source(runtime),
    )
    record.facts.update(action_facts(
        getattr(call, "action_probs", None),
        predicted=call.request.get("action") if valid else None,
        expected=(case.request or {}).get("action"),
        self_confidence=call.parse.request.get("confidence") if valid else None,
    ))
    return _finish(record, checks)


def _confidence_source(runtime: Any) -> str | None:
    return getattr(getattr(runtime, "config", None), "confidence_source", None)


def run_coach(runtime: Any, case: Case) -> CaseRecord:
    from josi.contracts import dumps_request
    from josi.scorers import count_questions

    record = _base(case)
    history = list(case.history) or None
    request = case.coach_request()
    output = dumps_request(request)
    record.request = request
    record.prompt = runtime.messages("coach", case.context, case.message, history=history,
                                     interpreter_output=output)
    call = runtime.coach(case.context, case.message, output, history)
    _stats(record, [call.stats] if call.stats is not None else [])
    record.reply_source = "coach" if call.source == "model" else call.source
    record.reply = call.text
    record.coach_ran = True
    if count_questions(call.text) > 1:
        record.violations.append(f"{count_questions(call.text)} questions after the governor")
    checks = reply_checks(case, call.text, record)
    if call.garbled:
        checks.append(Check("not_garbled", False, "coach output would be replaced by the fallback"))
    return _finish(record, checks)


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
    record.violations = route_violations(case, turn.request, record.route, red_flags, turn.reply,
                                         record.coach_ran)
    if case.expect.get("red_flag") and not red_flags:
        record.violations.append("red-flag message not flagged by the post-processor")
    checks = route_checks(case, record.route, red_flags, turn.reply_source, record)
    if case.request is not None:
        request_part, field_accuracy = request_checks(case, turn.request)
        checks += request_part
        record.facts["action_ok"] = request_part[0].passed
        record.facts["field_accuracy"] = field_accuracy
    # The interpreter's distribution; its served action may differ after post-processing.
    expected = (case.request or {}).get("action")
    record.facts.update(action_facts(getattr(turn, "action_probs", None), predicted=None,
                                     expected=expected, self_confidence=None))
    if record.coach_ran and "coach_fallback" not in turn.fallbacks:
        checks += reply_checks(case, turn.reply, record)
    elif record.coach_ran:
        checks.append(Check("coach_fallback", False, f"fallbacks {list(turn.fallbacks)}"))
    return _finish(record, checks)


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
