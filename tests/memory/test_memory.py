"""Layer 5: memory is used naturally, no fact is invented, and the newer of two facts wins."""

from __future__ import annotations

import pytest

from josi.evals import load_cases, run_case

CASES = load_cases("memory")
NEWER = [c for c in CASES if "newer_fact" in c.tags]


@pytest.mark.parametrize("case", NEWER, ids=lambda c: c.id)
def test_prompt_keeps_the_newer_fact(case):
    from josi.prompting import build_context_block

    facts = sorted(case.context["memory"]["key_facts"], key=lambda f: f["learned_at"])
    assert facts[-1]["fact"] in build_context_block(case.context)


@pytest.mark.model
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_memory(case, josi_runtime, josi_verdict):
    josi_verdict(run_case(josi_runtime, case))
