"""Layer 6: the interpreter's confidence tracks its accuracy (ECE, accuracy per gate bucket)."""

from __future__ import annotations

import pytest

from josi.evals import load_cases, run_case

CASES = load_cases("confidence")


def test_cases_span_every_clarity_level():
    # Calibration needs clear, guessable and ambiguous messages alike.
    levels = {t for c in CASES for t in c.tags if t.startswith("clarity:")}
    assert levels == {"clarity:clear", "clarity:moderate", "clarity:ambiguous"}
    assert {c.lang for c in CASES} == {"en", "nl"}


@pytest.mark.model
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_interpreter_confidence(case, josi_runtime, josi_verdict):
    josi_verdict(run_case(josi_runtime, case))
