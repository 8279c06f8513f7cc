"""The action distribution of an interpreter call: where it is read and how it is served."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest

from josi.contracts import ACTIONS, grammar_text
from josi.runtime._actions import action_prefix_len


def _detok(pieces):
    return lambda ids: "".join(pieces[i] for i in ids)


def test_action_position_is_the_token_boundary_after_the_opening_quote():
    pieces = ['{"', "action", '":"', "re", "plan", '","']
    assert action_prefix_len(_detok(pieces), range(len(pieces))) == 3
    spaced = ["{", ' "', "action", '": "', "expl", "ain"]
    assert action_prefix_len(_detok(spaced), range(len(spaced))) == 4


def test_no_action_position_without_a_boundary_or_a_key():
    # A token that carries the quote and the value leaves no prefix ending at the value.
    assert action_prefix_len(_detok(['{"', "action", '":', '"re', "plan"]), range(5)) is None
    assert action_prefix_len(_detok(["Hello", " there"]), range(2)) is None


def test_thinking_text_is_skipped():
    pieces = ["<think>", 'no "action":"', "x", "</think>", '{"action":"', "cl"]
    assert action_prefix_len(_detok(pieces), range(len(pieces))) == 5


def test_served_request_carries_the_served_confidence():
    from josi.parsing import parse_request
    from josi.runtime import CallStats, InterpreterCall

    raw = '{"action":"replan","free_text":"skip","replan_type":"skip_today","confidence":0.95}'
    parse = parse_request(raw, user_message="skip")
    stats = CallStats("interpreter", 0.0, 1, 1, 0, 0.0, True, "eog")
    own = InterpreterCall(raw=raw, parse=parse, stats=stats)
    served = InterpreterCall(raw=raw, parse=parse, stats=stats, served_confidence=0.4)
    assert own.request["confidence"] == 0.95 and own.action_probs is None
    assert served.request["confidence"] == 0.4 and served.parse.request["confidence"] == 0.95


MESSAGE = "Skip today's session, I'm stuck at work"


@pytest.fixture(scope="module")
def ctx():
    data = Path(__file__).parent / "data" / "turns.jsonl"
    return json.loads(data.read_text().splitlines()[0])["context"]


@pytest.mark.model
def test_action_first_tokens_are_distinct(embedded_runtime):
    llm = embedded_runtime.engine.llm
    firsts = [llm.tokenize(a.encode(), add_bos=False, special=False)[0] for a in ACTIONS]
    pieces = [embedded_runtime.engine.detokenize([t]) for t in firsts]
    assert len(set(firsts)) == len(ACTIONS), pieces


@pytest.mark.model
def test_scores_reuse_the_cache_and_match_a_cold_decode(embedded_runtime, ctx):
    engine = embedded_runtime.engine
    prompt = embedded_runtime.prompt_ids(embedded_runtime.messages("interpreter", ctx, MESSAGE))
    gen = engine.generate(
        prompt,
        max_tokens=12,
        temperature=0.0,
        top_p=1.0,
        top_k=0,
        min_p=0.0,
        seed=0,
        grammar=grammar_text(),
    )
    k = action_prefix_len(engine.detokenize, gen.ids)
    assert k is not None, gen.text
    warm = engine.score_continuations(prompt, gen.ids[:k], ACTIONS)
    # Greedy wrote the most likely action, spelled as the candidates are tokenised.
    chosen = max(range(len(ACTIONS)), key=lambda i: warm.grammar_logprobs[i])
    written = re.match(r'\{\s*"action"\s*:\s*"(\w+)"', gen.text)
    assert written and written.group(1) == ACTIONS[chosen], gen.text
    assert tuple(gen.ids[k : k + len(warm.token_ids[chosen])]) == warm.token_ids[chosen]
    probs = warm.grammar()
    assert math.isclose(sum(probs.values()), 1.0, rel_tol=1e-9)
    # Distinct first tokens: the grammar's distribution is the first-token one renormalised.
    raw_first = [math.exp(lp) for lp in warm.logprobs]
    assert all(p <= 1.0 for p in raw_first) and 0.0 < warm.candidate_mass <= 1.0 + 1e-9
    # Scoring again from the state it leaves (the prefix in the cache) repeats it exactly.
    again = engine.score_continuations(prompt, gen.ids[:k], ACTIONS)
    assert again.logprobs == warm.logprobs and again.grammar_logprobs == warm.grammar_logprobs
    engine.clear_cache()
    cold = engine.score_continuations(prompt, gen.ids[:k], ACTIONS)
    assert cold.token_ids == warm.token_ids
    # From an empty cache the prompt is decoded in other batches, and llama.cpp's sums depend
    # on the batch split (on this Q4_1 file, 0.72 vs 0.69 for the likeliest value): close, not
    # equal. Right after generation the state is the one generation sampled from.
    cold_p, warm_p = cold.grammar(), warm.grammar()
    assert cold_p == pytest.approx(warm_p, abs=0.05)
    assert max(cold_p, key=cold_p.get) == max(warm_p, key=warm_p.get)


@pytest.mark.model
def test_interpret_attaches_and_can_serve_the_action_probability(embedded_runtime, ctx):
    scored = embedded_runtime.with_config(score_actions=True).interpret(ctx, MESSAGE)
    serving = embedded_runtime.with_config(confidence_source="action_probability")
    served = serving.interpret(ctx, MESSAGE)
    # Each call is scored on its own output (two calls may differ: the cache state differs).
    assert scored.action_probs is not None and served.action_probs is not None
    assert scored.request == scored.parse.request  # "self": the model's own number is served
    action = served.parse.request["action"]
    assert max(served.action_probs, key=served.action_probs.get) == action
    from josi.contracts import round_confidence

    assert served.request["confidence"] == round_confidence(served.action_probs[action])
    assert embedded_runtime.interpret(ctx, MESSAGE).action_probs is None  # off unless asked


@pytest.mark.model
def test_shared_first_tokens_branch_later_and_prefixes_are_refused(embedded_runtime, ctx):
    from josi import ContractError

    engine = embedded_runtime.engine
    prompt = embedded_runtime.prompt_ids(embedded_runtime.messages("interpreter", ctx, MESSAGE))
    prefix = engine.llm.tokenize(
        b'{"action":"replan","free_text":"x","replan_type":"', add_bos=False, special=False
    )
    candidates = ("skip_today", "skip_week", "swap_days")
    scores = engine.score_continuations(prompt, prefix, candidates)
    first = {c: t[0] for c, t in zip(candidates, scores.token_ids, strict=False)}
    assert first["skip_today"] == first["skip_week"] != first["swap_days"], scores.token_ids
    grammar = scores.grammar()
    assert math.isclose(sum(grammar.values()), 1.0, rel_tol=1e-9)
    # swap_days owns its first token, so its grammar share times the candidates' raw first-token
    # mass is that token's raw probability, which bounds the raw probability of the whole value.
    p_swap_first = grammar["swap_days"] * scores.candidate_mass
    assert 0.0 < math.exp(scores.logprobs[2]) <= p_swap_first * (1 + 1e-6)
    # The two skip values split their shared first token's mass by the branch after it.
    assert grammar["skip_today"] + grammar["skip_week"] == pytest.approx(1.0 - grammar["swap_days"])
    with pytest.raises(ContractError, match="token prefix"):
        engine.score_continuations(prompt, prefix, ("skip", "skip_today"))
