"""The served model on a real llama-cpp-python server, against the in-process runtime.

Runs on the GGUF the pytest plugin resolves (``--josi-gguf PATH`` or the nano build): the
server (``josi.runtime.LocalServer``) loads the same file with the same context, batch sizes
and seed. Greedy decoding must give the same raw text call for call: the prompt, grammar and
sampler are the same, and the server's KV cache is prepared as the in-process engine's is
(system prompt alone, then the rest). The server has no DRY sampler, so a coach call is held
against the in-process coach with DRY off. ``benchmarks/served_parity.py`` measures this on
every schema and golden case; here a sample of them.
"""

from __future__ import annotations

import dataclasses

import pytest

from benchmarks.served_parity import SUITES, parity_config, raw_calls
from josi.evals import load_cases
from josi.runtime import JosiRuntime, LocalServer

# The server has no DRY sampler: expected here, and the coach is compared with DRY off.
pytestmark = [
    pytest.mark.model,
    pytest.mark.slow,
    pytest.mark.filterwarnings("ignore::josi.runtime.ServedFeatureWarning"),
]

CASES = [case for suite in SUITES for case in load_cases(suite)][::15]


@pytest.fixture(scope="module")
def runtimes(josi_runtime):
    config = parity_config(josi_runtime.config)
    with LocalServer(config) as server:
        local = JosiRuntime(config)
        served = JosiRuntime(dataclasses.replace(config, endpoint=server.url))
        try:
            yield local, served
        finally:
            served.close()
            local.close()


def test_the_sample_has_interpreter_and_coach_calls():
    assert {case.run for case in CASES} >= {"interpret", "turn"}


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
def test_greedy_output_matches_in_process(case, runtimes):
    local, served = runtimes
    mine, theirs = raw_calls(local, case), raw_calls(served, case)
    if any(mode == "coach" for mode, _ in mine):
        mine = raw_calls(local.with_config(coach_dry_multiplier=0.0), case)
    assert theirs == mine


def test_server_counts_tokens_as_the_model_does(runtimes, josi_runtime):
    _, served = runtimes
    text = "<|im_start|>user\nRun 45 min, zone 2 — ça va?<|im_end|>\n"
    assert served.engine.tokenize(text) == josi_runtime.engine.tokenize(text)
    assert served.engine.count_tokens(text) == josi_runtime.engine.count_tokens(text)
    assert served.grammar_accepts('{"action":"answer_question"}') is False
