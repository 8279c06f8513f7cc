"""Model-backed checks on the raw embedded SmolLM2 GGUF (greedy unless stated)."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest

from josi import GrammarError
from josi.contracts import request_errors
from josi.runtime import (
    DryPenalty,
    InterpreterCall,
    JosiRuntime,
    RuntimeConfig,
    TurnResult,
    embedded_gguf,
    inspect_gguf,
)

pytestmark = pytest.mark.model

DATA = Path(__file__).parent / "data"
TURNS = [json.loads(line) for line in (DATA / "turns.jsonl").read_text().splitlines()]
CTX = TURNS[0]["context"]
BROKEN_GRAMMARS = {
    "undefined-rule": 'root ::= "{" missing "}"',
    "unclosed-group": 'root ::= ("a" | "b"',
    "no-root": 'value ::= "a"',
}


def test_embedded_file_header_is_complete():
    info = inspect_gguf(embedded_gguf())
    assert info.data_end == info.size
    assert info.chat_template and "<|im_start|>" in info.chat_template


def test_greedy_generation_is_repeatable(embedded_runtime):
    first = embedded_runtime.interpret(CTX, "Give me a 45-minute run")
    second = embedded_runtime.interpret(CTX, "Give me a 45-minute run")
    assert first.raw == second.raw and first.raw
    short = embedded_runtime.with_config(max_tokens=40)
    coach_a = short.coach(CTX, "What is zone 2?", first.raw.strip())
    coach_b = short.coach(CTX, "What is zone 2?", first.raw.strip())
    assert coach_a.raw == coach_b.raw and coach_a.raw


def test_prefix_cache_reuses_the_system_prompt_and_changes_nothing(embedded_runtime):
    embedded_runtime.clear_cache()
    cold = embedded_runtime.interpret(CTX, "Can I swap today and tomorrow?")
    # A coach call replaces the live KV cache, so the next interpreter call needs the saved prefix.
    embedded_runtime.with_config(max_tokens=8).coach(CTX, "Why zone 2?", cold.raw.strip())
    warm = embedded_runtime.interpret(CTX, "Can I do 30 minutes on the bike?")
    uncached = embedded_runtime.with_config(prefix_cache=False).interpret(
        CTX, "Can I do 30 minutes on the bike?"
    )
    system = embedded_runtime.messages("interpreter", CTX, "x")[0]
    prefix = embedded_runtime.engine.tokenize(
        embedded_runtime.render([system], add_generation_prompt=False)
    )
    assert cold.stats.cached_tokens == 0
    assert warm.stats.cached_tokens >= len(prefix) > 0
    assert uncached.stats.cached_tokens == 0
    assert warm.raw == uncached.raw


def _check_grammar_output(call: InterpreterCall) -> None:
    assert call.parse.ok, (call.parse.reason, call.raw)
    assert request_errors(json.loads(call.raw)) == [], call.raw


def test_greedy_interpreter_output_parses_and_validates(embedded_runtime):
    for case in TURNS:
        call = embedded_runtime.interpret(case["context"], case["message"])
        assert call.stats.grammar and call.stats.stopped == "eog"
        _check_grammar_output(call)


def test_grammar_output_validates_when_sampled_hot(embedded_runtime):
    """Property of the contract: strings the grammar produces always parse and validate."""
    hot = embedded_runtime.with_config(
        deterministic=False, interpreter_temperature=1.5, seed=11, max_tokens=80
    )
    finished = 0
    for i in range(20):
        case = TURNS[i % len(TURNS)]
        call = hot.interpret(case["context"], case["message"])
        if (
            call.stats.stopped == "eog"
        ):  # the token cap can cut a string short; that is no grammar output
            finished += 1
            _check_grammar_output(call)
    assert finished >= 10  # sampled that hot, the model often rambles inside free_text


@pytest.mark.parametrize("grammar", list(BROKEN_GRAMMARS.values()), ids=list(BROKEN_GRAMMARS))
def test_broken_grammar_raises_instead_of_crashing(embedded_runtime, grammar):
    with pytest.raises(GrammarError, match="failed to compile"):
        embedded_runtime.compile_grammar(grammar)


def test_runtime_with_a_broken_grammar_file_refuses_to_start(embedded_runtime, tmp_path):
    path = tmp_path / "broken.gbnf"
    path.write_text(BROKEN_GRAMMARS["undefined-rule"])
    with pytest.raises(GrammarError):
        JosiRuntime(
            dataclass_replace(embedded_runtime.config, grammar_file=path),
            _engine=embedded_runtime.engine,
        )


def dataclass_replace(config: RuntimeConfig, **changes) -> RuntimeConfig:
    import dataclasses

    return dataclasses.replace(config, **changes)


@pytest.mark.parametrize("case", TURNS, ids=[c["id"] for c in TURNS])
def test_full_turn(embedded_runtime, case):
    result = embedded_runtime.turn(case["context"], case["message"])
    assert isinstance(result, TurnResult)
    assert request_errors(result.request) == []
    assert result.calls[0].mode == "interpreter"
    assert (len(result.calls) == 2) is (result.coach_text is not None)
    if result.coach_text is not None:
        assert result.reply  # coach text or the dispatch table's fallback, never empty
    assert result.prompt_tokens == sum(c.prompt_tokens for c in result.calls) > 0
    json.dumps(result.to_dict())


def test_chat_template_parity_with_llama_cpp_and_token_ids(embedded_runtime):
    """The GGUF's own Jinja template, rendered by llama-cpp-python's formatter, equals
    josi.prompting.render_chatml on the same messages, and both tokenize identically."""
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter

    from josi.prompting import render_chatml

    engine = embedded_runtime.engine
    history = [
        {"role": "user", "message": "Hoi"},
        {"role": "assistant", "message": "Hoi! Hoe gaat het?"},
    ]
    for mode, output in (("interpreter", None), ("coach", '{"action":"explain"}')):
        messages = embedded_runtime.messages(
            mode, CTX, "What's my workout today?", history=history, interpreter_output=output
        )
        served = Jinja2ChatFormatter(
            template=engine.chat_template, eos_token=engine.eos_text, bos_token=engine.bos_text
        )(messages=messages).prompt
        trained = render_chatml(messages, chat_template=engine.chat_template)
        assert served == trained == embedded_runtime.render(messages)
        ids = embedded_runtime.prompt_ids(messages)
        assert ids == engine.llm.tokenize(served.encode(), add_bos=False, special=True)
        im_start = engine.llm.tokenize(b"<|im_start|>", add_bos=False, special=True)
        assert len(im_start) == 1 and ids.count(im_start[0]) == len(messages) + 1
        assert not engine.add_bos or (ids[0] == engine.bos_id and ids[1] != engine.bos_id)


GRAMMAR_STRINGS = [
    json.loads(line) for line in (DATA / "grammar_strings.jsonl").read_text().splitlines()
]


@pytest.mark.parametrize("case", GRAMMAR_STRINGS, ids=[c["id"] for c in GRAMMAR_STRINGS])
def test_grammar_admits_exactly_the_schema_valid_strings(embedded_runtime, case):
    """Deterministic half of the contract property: a string the committed grammar accepts
    must parse and validate, and a valid request written with the canonical compact separators
    must be accepted. Whitespace between tokens is refused by design: no training target has it."""
    accepted = embedded_runtime.grammar_accepts(case["text"])
    try:
        parsed = json.loads(case["text"])
    except json.JSONDecodeError:
        valid = compact = False
    else:
        valid = request_errors(parsed) == []
        compact = case["text"] == json.dumps(parsed, ensure_ascii=False, separators=(",", ":"))
    assert accepted == (valid and compact), (
        f"grammar accepts={accepted}, schema valid={valid}, compact separators={compact}"
    )


@pytest.mark.parametrize(
    "message",
    ['Skip today, "really"', "line one\nline two", "back\\slash\tand tab", "fietsen 🚴 vandaag?"],
    ids=["quotes", "newline", "backslash-tab", "emoji"],
)
def test_pinned_grammar_admits_the_message_and_nothing_else(embedded_runtime, message):
    from josi.contracts import dumps_request, grammar_text, pin_free_text

    pinned = pin_free_text(grammar_text(), message)
    embedded_runtime.compile_grammar(pinned)

    def request(free_text: str) -> str:
        return dumps_request(
            {
                "action": "answer_question",
                "free_text": free_text,
                "question": "why?",
                "confidence": 0.9,
            }
        )

    assert embedded_runtime.grammar_accepts(request(message), pinned)
    assert not embedded_runtime.grammar_accepts(request(message + message), pinned)
    assert not embedded_runtime.grammar_accepts(request(message[:-1]), pinned)
    assert embedded_runtime.grammar_accepts(request(message + message))


def test_interpreter_copies_the_message_exactly(embedded_runtime):
    message = '  Ik wil vandaag 45 min fietsen, "rustig" graag  '
    call = embedded_runtime.with_config(deterministic=True).interpret(
        {
            "athlete_id": "a1",
            "tier": "coach",
            "persona_id": "balanced",
            "today": "2026-03-02",
            "readiness": {"state": "Productive", "level": "Green"},
        },
        message,
    )
    assert call.parse.ok, call.raw
    assert json.loads(call.raw)["free_text"] == message.strip()


def _worst_4gram_count(engine, text: str) -> int:
    ids = engine.llm.tokenize(text.encode("utf-8"), add_bos=False)
    return max(Counter(tuple(ids[i : i + 4]) for i in range(len(ids) - 3)).values(), default=0)


def test_dry_penalty_breaks_a_greedy_loop(embedded_runtime):
    engine = embedded_runtime.engine
    ids = engine.tokenize("I love running and I love running and I love running and I love")
    greedy = dict(
        max_tokens=48, temperature=0.0, top_p=1.0, top_k=0, min_p=0.0, seed=0, use_cache=False
    )
    looping = engine.generate(ids, **greedy)
    penalised = engine.generate(ids, dry=DryPenalty(0.8, 1.75, 2), **greedy)
    assert _worst_4gram_count(engine, looping.text) >= 5, (
        looping.text
    )  # the base model does loop here
    assert _worst_4gram_count(engine, penalised.text) <= 2, penalised.text


def test_only_the_coach_call_decodes_with_the_dry_penalty(embedded_runtime, monkeypatch):
    engine = embedded_runtime.engine
    seen: list[object] = []
    real_generate = engine.generate

    def spy(ids, **kwargs):
        seen.append(kwargs.get("dry"))
        return real_generate(ids, **kwargs)

    monkeypatch.setattr(engine, "generate", spy)
    short = embedded_runtime.with_config(max_tokens=24)
    call = short.interpret(CTX, "Why is today an easy day?")
    short.coach(CTX, "Why is today an easy day?", call.raw)
    short.with_config(coach_dry_multiplier=0.0).coach(CTX, "Why is today an easy day?", call.raw)
    assert seen == [None, DryPenalty(0.8, 1.75, 2), None]
