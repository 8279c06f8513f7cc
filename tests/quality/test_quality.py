"""Layer 3: persona-aware warmth, brevity, no leaks or jargon, no repetition, governor, language."""

from __future__ import annotations

import pytest

from josi.evals import load_cases, run_case

CASES = load_cases("quality")


def test_every_persona_and_language_is_covered():
    assert {c.persona for c in CASES} == {"balanced", "direct", "technical", "encouraging"}
    for lang in ("en", "nl"):
        assert {c.persona for c in CASES if c.lang == lang} == {
            "balanced",
            "direct",
            "technical",
            "encouraging",
        }


@pytest.mark.model
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_coach_quality(case, josi_runtime, josi_verdict):
    josi_verdict(run_case(josi_runtime, case))
