"""Jump-forward decoding changes no output: every gate case's interpreter call, on vs off.

Runs on the GGUF the pytest plugin resolves (``--gguf PATH`` or the nano build), greedy.
"""

from __future__ import annotations

import pytest

from benchmarks.jump_forward import SUITES, interpreter_cases
from josi.evals import LAYERS

pytestmark = pytest.mark.model

CASES = [case for layer in LAYERS for case in interpreter_cases(layer)]


def test_the_gate_suites_have_interpreter_cases():
    assert {case.layer for case in CASES} >= set(SUITES)


@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.layer}-{c.id}")
def test_greedy_output_is_identical_with_jump_forward(case, josi_runtime):
    on = josi_runtime.with_config(jump_forward=True)
    off = josi_runtime.with_config(jump_forward=False)
    history = list(case.history) or None
    fast = on.interpret(case.context, case.message, history)
    slow = off.interpret(case.context, case.message, history)
    assert fast.raw == slow.raw
    assert fast.stats.completion_tokens == slow.stats.completion_tokens
    # Every kept draft token is a forward pass saved; a rejected draft costs none.
    assert fast.stats.decode_steps == slow.stats.decode_steps - fast.stats.forced_tokens
    assert slow.stats.forced_tokens == 0
