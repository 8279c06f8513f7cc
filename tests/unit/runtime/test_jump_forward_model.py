"""Jump-forward decoding on a real GGUF: what it keeps and what it saves.

Runs on the GGUF the pytest plugin resolves (``--josi-gguf PATH`` or the nano build), greedy.
Byte-identical outputs with it on and off are not guaranteed: llama.cpp's CPU kernels give a
position's logits slightly differently inside a batch than alone, and a near-tie can then
flip a later greedy choice. So ``RuntimeConfig.jump_forward`` stays off by default, and
``benchmarks/jump_forward.py`` measures the agreement on every gate case; these tests hold
what is guaranteed either way, on a sample of the gate cases.
"""

from __future__ import annotations

import dataclasses

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


@pytest.mark.parametrize("case", CASES[::40], ids=lambda c: f"{c.layer}-{c.id}")
def test_one_row_batches_decode_exactly_as_one_token_at_a_time(case, josi_runtime):
    """With at most one position per decode every position meets the kernels a lone decode
    does, so the output is byte-identical: what is left to differ at larger batches is the
    kernels' arithmetic, not the drafting, the confirming or the cache bookkeeping."""
    history = list(case.history) or None
    off = josi_runtime.with_config(jump_forward=False).interpret(
        case.context, case.message, history
    )
    single = josi_runtime.with_config(jump_forward=True, jump_forward_rows=1).interpret(
        case.context, case.message, history
    )
    assert single.raw == off.raw
    assert single.stats.decode_steps == off.stats.decode_steps
    assert single.stats.forced_tokens > 0


@pytest.mark.parametrize("case", CASES[::80], ids=lambda c: f"{c.layer}-{c.id}")
def test_smaller_batches_cost_more_decodes_but_keep_the_grammar(case, josi_runtime):
    history = list(case.history) or None
    calls = {
        rows: josi_runtime.with_config(jump_forward=True, jump_forward_rows=rows).interpret(
            case.context, case.message, history
        )
        for rows in (0, 3)
    }
    pinned = pin_free_text(grammar_text(), verbatim_free_text(case.message))
    for call in calls.values():
        assert josi_runtime.grammar_accepts(call.raw, pinned)
        assert call.stats.completion_tokens - call.stats.forced_tokens <= call.stats.decode_steps
        assert call.stats.decode_steps < call.stats.completion_tokens
    assert calls[3].stats.decode_steps > calls[0].stats.decode_steps


@pytest.fixture(scope="module")
def uniform_runtime(josi_gguf, josi_runtime, tmp_path_factory):
    """The session's model with every matrix in Q5_1, flash attention and a q8_0 KV cache: the
    settings under which llama.cpp's CPU kernels compute each position row by row."""
    from josi.export._llamacpp import quantize
    from josi.pytest_plugin import eval_runtime_config
    from josi.runtime import JosiRuntime

    path = quantize(
        josi_gguf, tmp_path_factory.mktemp("uniform") / "q5_1.gguf", "Q5_1", requantize=True
    )
    config = dataclasses.replace(
        eval_runtime_config(path, n_threads=josi_runtime.config.n_threads),
        prompt_style=josi_runtime.config.prompt_style,
        flash_attn=True,
        kv_cache_type="q8_0",
    )
    runtime = JosiRuntime(config)
    try:
        yield runtime
    finally:
        runtime.close()


@pytest.mark.parametrize("case", CASES[::20], ids=lambda c: f"{c.layer}-{c.id}")
def test_one_batch_decodes_exactly_where_every_kernel_works_row_by_row(case, uniform_runtime):
    """No GEMM kernel, no tiled attention: a forced run evaluated in one batch leaves the same
    logits as one token at a time, so the whole output is byte-identical with fewer decodes."""
    history = list(case.history) or None
    off = uniform_runtime.with_config(jump_forward=False).interpret(
        case.context, case.message, history
    )
    on = uniform_runtime.with_config(jump_forward=True).interpret(
        case.context, case.message, history
    )
    assert on.raw == off.raw
    assert on.stats.decode_steps < off.stats.decode_steps
