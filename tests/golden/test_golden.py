"""Golden set: critical scenarios across the layers, multi-turn included.

Code guarantees (schema validity, tiers, zone caps, red flags) are strict for every model:
any violation fails its case. They are also checked without a model: the same turn runs
with a scripted interpreter that writes the case's expected request. The model's own part
is judged by ``josi_verdict``: strict where the profile meets the golden production target,
visible as xfailed where it is below it (its layer is then gated as a whole)."""

from __future__ import annotations

import pytest

from josi.evals import load_cases, run_case, run_scripted

CASES = load_cases("golden")


def _scripted_request(case):
    return case.request or {
        "action": "answer_question",
        "free_text": case.message,
        "question": case.message,
    }


@pytest.mark.parametrize(
    "case",
    [c for c in CASES if "route" in c.expect or c.expect.get("red_flag")],
    ids=lambda c: c.id,
)
def test_code_layer(case):
    record = run_scripted(case, _scripted_request(case))
    assert not record.code_failures(), record.summary()


@pytest.mark.model
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_golden(case, josi_runtime, josi_samplers, josi_verdict):
    josi_verdict(run_case(josi_runtime, case), samples=[run_case(rt, case) for rt in josi_samplers])
