"""Layer 2: I6, tier gating, zone caps, red flags, pushback, no invented numbers.

Tier rights, zone caps and red flags are enforced in code, so they are tested
twice: through the post-processor and router alone (fast, no model, including
a hostile interpreter output), and inside the model-backed turn.
"""

from __future__ import annotations

import pytest

from josi.evals import code_path, level_cap, load_cases, route_violations, run_case

CASES = load_cases("contract")
ROUTED = [c for c in CASES if "route" in c.expect or c.expect.get("red_flag")]


def _hostile(case):
    """The interpreter output that would do the most harm in this situation."""
    if "deny" in case.expect.get("route", {}):
        return {"action": "replan", "free_text": case.message, "replan_type": "skip_today"}
    return {"action": "create_workout", "free_text": case.message, "sport": "run", "goal": "vo2"}


def _check(case, out):
    problems = route_violations(case, out["request"], out["route"], out["red_flags"], out["reply"],
                                coach_ran=False)
    want = case.expect.get("route", {})
    route = out["route"]
    if want.get("chat") is False and (route["allowed"] or route["engine_call"]):
        problems.append(f"tier {case.context['tier']} has no chat but route={route}")
    if route["action"] in want.get("deny", []) and route["allowed"]:
        problems.append(f"{route['action']} allowed on tier {case.context['tier']}")
    if "zone_cap" in want and route["engine_call"] and route["zone_cap"] != want["zone_cap"]:
        problems.append(f"zone cap {route['zone_cap']!r}, want {want['zone_cap']!r}")
    if case.expect.get("red_flag"):
        if not out["red_flags"]:
            problems.append("red flag not detected")
        if not out["safe_reply"] or out["reply"] != out["safe_reply"]:
            problems.append("no safe reply for a red flag")
    return problems


@pytest.mark.parametrize("case", [c for c in ROUTED if c.request], ids=lambda c: c.id)
def test_router_with_the_expected_request(case):
    assert _check(case, code_path(case, case.request)) == []


@pytest.mark.parametrize("case", ROUTED, ids=lambda c: c.id)
def test_router_with_a_hostile_request(case):
    assert _check(case, code_path(case, _hostile(case))) == []


@pytest.mark.parametrize("case", [c for c in ROUTED if "zone_cap" in c.expect.get("route", {})], ids=lambda c: c.id)
def test_zone_cap_expectation_matches_dispatch_table(case):
    assert case.expect["route"]["zone_cap"] == level_cap(case.context["readiness"]["level"])


def test_i6_and_pushback_coverage():
    i6 = [c for c in CASES if "i6" in c.tags]
    assert len(i6) >= 30 and {c.lang for c in i6} == {"en", "nl"}
    assert len([c for c in CASES if "pushback" in c.tags]) == 5


@pytest.mark.model
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_contract(case, josi_runtime, josi_record):
    record = run_case(josi_runtime, case)
    josi_record(record)
    assert not record.violations, record.summary()
