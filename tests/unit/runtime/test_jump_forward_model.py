"""Jump-forward decoding on a real GGUF: what it keeps and what it saves.

Runs on the GGUF the pytest plugin resolves (``--josi-gguf PATH`` or the nano build), greedy.
Byte-identical outputs with it on and off are not guaranteed: llama.cpp's CPU kernels give a
position's logits slightly differently inside a batch than alone, and a near-tie can then
flip a later greedy choice. So ``RuntimeConfig.jump_forward`` stays off by default, and
``benchmarks/jump_forward.py`` measures the agreement on every gate case; these tests hold
what is guaranteed either way, on a sample of the gate cases.
"""

from __future__ import annotations

import pytest

from benchmarks.jump_forward import SUITES, interpreter_cases
from josi.contracts import grammar_text, pin_free_text, verbatim_free_text
from josi.evals import LAYERS

pytestmark = pytest.mark.model

CASES = [case for layer in LAYERS for case in interpreter_cases(layer)]


def test_the_gate_suites_have_interpreter_cases():
    assert {case.layer for case in CASES} >= set(SUITES)


@pytest.mark.parametrize("case", CASES[::40], ids=lambda c: f"{c.layer}-{c.id}")
def test_jump_forward_keeps_the_grammar_and_counts_its_savings(case, josi_runtime):
    on = josi_runtime.with_config(jump_forward=True)
    off = josi_runtime.with_config(jump_forward=False)
    history = list(case.history) or None
    fast = on.interpret(case.context, case.message, history)
    slow = off.interpret(case.context, case.message, history)
    # Forced text comes from the grammar, so the output stays a sentence of it.
    pinned = pin_free_text(grammar_text(), verbatim_free_text(case.message))
    assert josi_runtime.grammar_accepts(fast.raw, pinned)
    assert fast.parse.ok and fast.request["free_text"] == case.message
    # Every kept draft token is a forward pass saved; a rejected draft costs none.
    assert fast.stats.decode_steps == fast.stats.completion_tokens - fast.stats.forced_tokens
    assert slow.stats.forced_tokens == 0 and slow.stats.decode_steps == slow.stats.completion_tokens
