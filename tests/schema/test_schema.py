"""Layer 1: every interpreter output parses and is schema-valid; action and field accuracy."""

from __future__ import annotations

import pytest

from josi.contracts import dumps_request
from josi.evals import load_cases, run_case

CASES = load_cases("schema")


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_expected_request_survives_the_parser(case):
    # The parser must return the canonical request unchanged when the model emits it exactly.
    from josi.parsing import parse_request

    result = parse_request(dumps_request(case.request), user_message=case.message)
    assert result.ok and not result.fallback, result.reason
    assert result.request == case.request


@pytest.mark.model
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_interpreter(case, josi_runtime, josi_verdict):
    josi_verdict(run_case(josi_runtime, case))
