"""Golden set: critical scenarios across the layers, multi-turn included.

Code guarantees (schema validity, tiers, zone caps, red flags) are strict for every model:
any violation fails its case. The model's own part is strict wherever the profile's golden
gate is the production target (any failure blocks). A profile listed below that target
(nano) reports such a case as xfailed, visibly, and its measured golden pass rate is gated
at session end. The code-enforced part is also checked without a model."""

from __future__ import annotations

import pytest

from josi.evals import code_path, load_cases, route_violations, run_case

CASES = load_cases("golden")


@pytest.mark.parametrize(
    "case", [c for c in CASES if "route" in c.expect or c.expect.get("red_flag")], ids=lambda c: c.id
)
def test_code_layer(case):
    request = case.request or {"action": "answer_question", "free_text": case.message, "question": case.message}
    out = code_path(case, request)
    problems = route_violations(case, out["request"], out["route"], out["red_flags"], out["reply"], coach_ran=False)
    if case.expect.get("red_flag"):
        assert out["red_flags"], "red flag not detected"
        assert out["reply"] == out["safe_reply"]
    want = case.expect.get("route", {})
    if want.get("chat") is False:
        assert not out["route"]["allowed"]
    if out["route"]["action"] in want.get("deny", []):
        assert not out["route"]["allowed"]
    assert problems == []


@pytest.mark.model
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_golden(case, josi_runtime, josi_record, josi_thresholds):
    record = run_case(josi_runtime, case)
    josi_record(record)
    assert not record.violations, record.summary()
    gate = josi_thresholds.gate("golden.pass_rate")
    if not record.passed and gate is not None and gate.below_production:
        pytest.xfail(f"below production target (golden gate {gate.bound.text()}): {record.summary()}")
    assert record.passed, record.summary()
