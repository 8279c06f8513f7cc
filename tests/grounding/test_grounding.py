"""Layer 4: with an engine result the reply references it and invents no number; without one,
no number appears that the context does not hold."""

from __future__ import annotations

import pytest

from josi.evals import load_cases, run_case

CASES = load_cases("grounding")


@pytest.mark.parametrize(
    "case", [c for c in CASES if c.context.get("gatc_result")], ids=lambda c: c.id
)
def test_prompt_carries_the_engine_result(case):
    # The coach can only be grounded in what the prompt builder puts in front of it.
    from josi.prompting import build_context_block

    block = build_context_block(case.context)
    gatc = case.context["gatc_result"]
    assert gatc["workout_summary"] in block
    if gatc.get("safety_caps_applied"):
        assert gatc["safety_caps_applied"] in block


@pytest.mark.model
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_grounding(case, josi_runtime, josi_verdict):
    josi_verdict(run_case(josi_runtime, case))
