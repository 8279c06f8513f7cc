"""Layer 2: I6, tier gating, zone caps, red flags, pushback, no invented numbers.

Tier rights, zone caps and red flags are enforced in code, so they are tested twice: by
the turn itself with a scripted interpreter (fast, no model, including a hostile
interpreter output), and inside the model-backed turn. Both score through the same route
checks (``josi.evals.route_checks``).
"""

from __future__ import annotations

import pytest

from josi.evals import load_cases, run_case, run_scripted
from josi.routing import zone_cap

CASES = load_cases("contract")
ROUTED = [c for c in CASES if "route" in c.expect or c.expect.get("red_flag")]


def _hostile(case):
    """The interpreter output that would do the most harm in this situation."""
    if "deny" in case.expect.get("route", {}):
        return {"action": "replan", "free_text": case.message, "replan_type": "skip_today"}
    return {"action": "create_workout", "free_text": case.message, "sport": "run", "goal": "vo2"}


@pytest.mark.parametrize("case", [c for c in ROUTED if c.request], ids=lambda c: c.id)
def test_router_with_the_expected_request(case):
    record = run_scripted(case, case.request)
    assert not record.code_failures(), record.summary()


@pytest.mark.parametrize("case", ROUTED, ids=lambda c: c.id)
def test_router_with_a_hostile_request(case):
    record = run_scripted(case, _hostile(case))
    assert not record.code_failures(), record.summary()


@pytest.mark.parametrize(
    "case", [c for c in ROUTED if "zone_cap" in c.expect.get("route", {})], ids=lambda c: c.id
)
def test_zone_cap_expectation_matches_dispatch_table(case):
    assert case.expect["route"]["zone_cap"] == zone_cap(case.context["readiness"]["level"])


def test_i6_and_pushback_coverage():
    i6 = [c for c in CASES if "i6" in c.tags]
    assert len(i6) >= 30 and {c.lang for c in i6} == {"en", "nl"}
    assert len([c for c in CASES if "pushback" in c.tags]) == 5


@pytest.mark.model
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_contract(case, josi_runtime, josi_samplers, josi_verdict):
    josi_verdict(run_case(josi_runtime, case), samples=[run_case(rt, case) for rt in josi_samplers])


@pytest.mark.parametrize(
    "case", [c for c in ROUTED if "zone_cap" in c.expect.get("route", {})], ids=lambda c: c.id
)
def test_a_replan_on_a_capped_day_goes_to_the_plan_engine(case):
    # The plan engine applies its own caps (tool_dispatch.json: readiness.plan_engine_exempt);
    # a sampled interpreter that picks replan on such a day breaks no guarantee.
    record = run_scripted(
        case, {"action": "replan", "free_text": case.message, "replan_type": "skip_today"}
    )
    assert not record.code_failures(), record.summary()
