"""The v6 turn: interpreter -> parse -> post-process -> route -> coach -> governor -> fallbacks."""

from __future__ import annotations

import dataclasses
import hashlib
import time
from dataclasses import dataclass
from typing import Any

from josi._errors import ConfigError, ContractError
from josi.contracts import (
    dumps_request,
    grammar_text,
    load_tool_dispatch,
    pin_free_text,
    round_confidence,
    validate_context,
    verbatim_free_text,
)
from josi.governor import govern, guard_coach_text
from josi.lang import LANGUAGES, detect_language
from josi.memory import current_memory
from josi.parsing import ParseResult, parse_request, strip_thinking
from josi.postprocess import postprocess
from josi.prompting import PromptBudget, build_messages, render_chatml
from josi.routing import RouteDecision, coach_contract_reply, route
from josi.routing import message as app_message
from josi.runtime._actions import score_actions
from josi.runtime._config import RuntimeConfig
from josi.runtime._engine import ContinuationScores, Engine, Generation
from josi.runtime._scripted import ScriptedEngine
from josi.runtime._served import ServedEngine

_SHARED_ENGINE_FIELDS = (
    "gguf",
    "n_ctx",
    "n_batch",
    "n_threads",
    "n_gpu_layers",
    "endpoint",
    "flash_attn",
    "kv_cache_type",
)


@dataclass(frozen=True)
class CallStats:
    """Cost of one model call."""

    mode: str
    latency_s: float
    prompt_tokens: int
    completion_tokens: int
    cached_tokens: int
    temperature: float
    grammar: bool
    stopped: str
    decode_steps: int = 0  # forward passes spent on the output (Generation.decode_steps)
    forced_tokens: int = 0  # output tokens that came in a jump-forward batch


@dataclass(frozen=True)
class InterpreterCall:
    raw: str
    parse: ParseResult  # the model's own request: its confidence is the self-reported one
    stats: CallStats
    action_scores: ContinuationScores | None = None  # None: not scored, or no action position
    served_confidence: float | None = None  # set when the served confidence is P(chosen action)

    @property
    def request(self) -> dict[str, Any]:
        """The request handed on to post-processing and routing."""
        if self.served_confidence is None:
            return self.parse.request
        return {**self.parse.request, "confidence": self.served_confidence}

    @property
    def action_probs(self) -> dict[str, float] | None:
        """P(action | prompt) under the grammar (ContinuationScores.grammar), when scored."""
        return None if self.action_scores is None else self.action_scores.grammar()


@dataclass(frozen=True)
class CoachCall:
    raw: str
    text: str  # thinking stripped, governed, guarded: what the athlete would read
    garbled: bool
    stats: CallStats | None  # None when code wrote the reply and the model did not run
    guard_dropped: tuple[str, ...] = ()  # sentences the output guard removed, with reasons
    source: str = (
        "model"  # "model", or "contract": a fixed reply from code (plan change, unrealistic goal)
    )
    intent: str | None = None  # the coach intent code answered, when source is "contract"


@dataclass(frozen=True)
class TurnResult:
    """Everything one athlete message produced."""

    request: dict[str, Any]
    route: RouteDecision
    reply: str  # the text the athlete sees
    coach_text: str | None
    calls: tuple[CallStats, ...]
    interpreter_raw: str
    parse_ok: bool
    fallbacks: tuple[str, ...] = ()
    changes: tuple[str, ...] = ()
    red_flags: tuple[str, ...] = ()
    guard_dropped: tuple[str, ...] = ()
    # Who wrote the reply: "safety" (red flags), "coach", "contract" (the coach step's fixed
    # reply to a plan change or an unrealistic goal), "fallback" (garbled coach output),
    # "router" (denials, clarify, no chat) or "engine" (the engine's result is the answer).
    reply_source: str = "router"
    action_probs: dict[str, float] | None = None  # the interpreter call's, when scored

    @property
    def prompt_tokens(self) -> int:
        return sum(c.prompt_tokens for c in self.calls)

    @property
    def completion_tokens(self) -> int:
        return sum(c.completion_tokens for c in self.calls)

    @property
    def cached_tokens(self) -> int:
        return sum(c.cached_tokens for c in self.calls)

    @property
    def latency_s(self) -> float:
        return sum(c.latency_s for c in self.calls)

    def to_dict(self) -> dict[str, Any]:
        return {
            "request": self.request,
            "route": dataclasses.asdict(self.route),
            "reply": self.reply,
            "coach_text": self.coach_text,
            "interpreter_raw": self.interpreter_raw,
            "parse_ok": self.parse_ok,
            "fallbacks": list(self.fallbacks),
            "changes": list(self.changes),
            "red_flags": list(self.red_flags),
            "guard_dropped": list(self.guard_dropped),
            "reply_source": self.reply_source,
            "action_probs": self.action_probs,
            "calls": [dataclasses.asdict(c) for c in self.calls],
            "latency_s": round(self.latency_s, 4),
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "cached_tokens": self.cached_tokens,
        }


def call_seed(base: int, mode: str, prompt_ids: list[int]) -> int:
    """The sampler seed of one call, derived from what the call sees.

    A counter would make a case's sample depend on how many calls ran before it (its
    place in a batch, the xdist split); the prompt and the mode fix it instead, and the
    base seed picks one of the independent draws (``--josi-samples`` runs seeds 0..k-1).
    """
    digest = hashlib.blake2b(digest_size=8)
    digest.update(f"{base}:{mode}:".encode())
    digest.update(",".join(map(str, prompt_ids)).encode())
    return int.from_bytes(digest.digest(), "big") % (2**31)


def looks_garbled(text: str) -> bool:
    """True for coach output no athlete should see: empty, control tokens, JSON, mostly symbols."""
    stripped = text.strip()
    if not stripped or "\ufffd" in stripped or "<|" in stripped or stripped.startswith("{"):
        return True
    letters = sum(ch.isalpha() for ch in stripped)
    return letters < 2 or letters / len(stripped) < 0.5


class JosiRuntime:
    """One GGUF, loaded once, serving both modes.

    >>> rt = JosiRuntime(RuntimeConfig(gguf="josi.gguf"))  # doctest: +SKIP
    >>> rt.turn(ctx, "Give me a 45-minute run").route.action  # doctest: +SKIP
    'create_workout'
    """

    def __init__(self, config: RuntimeConfig, *, _engine: Engine | None = None) -> None:
        self.config = config
        if _engine is None and config.verify and (config.endpoint is None or config.gguf.is_file()):
            from josi.export import verify_before_load

            verify_before_load(config.gguf)
        if _engine is not None:
            self._engine = _engine
        elif config.endpoint is not None:
            self._engine = ServedEngine(config)
        else:
            self._engine = Engine(config)
        # A served engine refuses, up front, the settings that need the model in this process.
        check = getattr(self._engine, "check_config", None)
        if check is not None:
            check(config)
        self._grammar: str | None = None
        if config.use_grammar:
            text = (
                config.grammar_file.read_text(encoding="utf-8")
                if config.grammar_file
                else grammar_text()
            )
            self._engine.check_grammar(text)
            self._grammar = text
        self._prefix_ids: dict[str, list[int]] = {}

    @classmethod
    def from_gguf(cls, gguf: str, **options: Any) -> JosiRuntime:
        return cls(RuntimeConfig(gguf=gguf, **options))

    @classmethod
    def scripted(cls, interpreter_output: str, **engine_options: Any) -> JosiRuntime:
        """The turn's code with a scripted model (see ``josi.runtime.ScriptedEngine``)."""
        config = RuntimeConfig(gguf="scripted", prompt_style="full", deterministic=True)
        return cls(config, _engine=ScriptedEngine(interpreter_output, **engine_options))

    def with_config(self, **changes: Any) -> JosiRuntime:
        """A runtime with other sampling options that shares this one's loaded model."""
        fixed = [name for name in changes if name in _SHARED_ENGINE_FIELDS]
        if fixed:
            raise ConfigError(f"{fixed} need a new model load; construct a new JosiRuntime instead")
        return JosiRuntime(dataclasses.replace(self.config, **changes), _engine=self._engine)

    # --- introspection ------------------------------------------------------------------

    @property
    def chat_template(self) -> str | None:
        """The Jinja chat template embedded in the GGUF (None if it has none)."""
        return self._engine.chat_template

    @property
    def engine(self) -> Engine:
        return self._engine

    def compile_grammar(self, text: str) -> None:
        """Raise GrammarError unless llama.cpp compiles ``text``."""
        self._engine.check_grammar(text)

    def grammar_accepts(self, text: str, grammar: str | None = None) -> bool:
        """Whether the interpreter grammar (or ``grammar``) admits ``text`` as a complete output."""
        source = grammar if grammar is not None else (self._grammar or grammar_text())
        return self._engine.grammar_accepts(source, text)

    def messages(
        self,
        mode: str,
        ctx: dict[str, Any],
        message: str,
        *,
        history: list[dict[str, Any]] | None = None,
        interpreter_output: str | None = None,
    ) -> list[dict[str, str]]:
        if ctx.get("memory"):
            # Two stored facts about the same thing show the model only the newer one.
            ctx = {**ctx, "memory": current_memory(ctx["memory"])}
        return build_messages(
            mode,
            ctx,
            message,
            history=history if history is not None else ctx.get("history"),
            interpreter_output=interpreter_output,
            style=self.config.prompt_style,
            # The budget follows the loaded context, so a small test context truncates history
            # instead of overflowing.
            budget=PromptBudget(total=self._engine.n_ctx, output=self.config.max_tokens),
            count_tokens=self._engine.count_tokens,
        )

    def render(self, messages: list[dict[str, str]], *, add_generation_prompt: bool = True) -> str:
        return render_chatml(
            messages,
            chat_template=self.chat_template,
            add_generation_prompt=add_generation_prompt,
            bos_token=self._engine.bos_text,
            eos_token=self._engine.eos_text,
        )

    def prompt_ids(self, messages: list[dict[str, str]]) -> list[int]:
        return self._engine.tokenize(self.render(messages))

    # --- calls --------------------------------------------------------------------------

    def _prefix_len(self, system: dict[str, str], ids: list[int]) -> int:
        key = system["content"]
        prefix = self._prefix_ids.get(key)
        if prefix is None:
            prefix = self._engine.tokenize(self.render([system], add_generation_prompt=False))
            self._prefix_ids[key] = prefix
        n = len(prefix)
        return n if ids[:n] == prefix else 0

    def _generate(
        self, mode: str, messages: list[dict[str, str]], *, grammar: str | None
    ) -> tuple[Generation, CallStats]:
        prompt = self.render(messages)
        ids = self._engine.tokenize(prompt)
        temperature = self.config.temperature(mode)
        seed = call_seed(self.config.seed, mode, ids)
        prefix_len = self._prefix_len(messages[0], ids) if messages[0]["role"] == "system" else 0
        gen = self._engine.generate(
            ids,
            max_tokens=self.config.max_tokens,
            temperature=temperature,
            top_p=self.config.top_p,
            top_k=self.config.top_k,
            min_p=self.config.min_p,
            seed=seed,
            grammar=grammar,
            dry=self.config.dry(mode),
            prefix_len=prefix_len,
            use_cache=self.config.prefix_cache,
            mode=mode,
            jump_forward=self.config.jump_forward,
            jump_rows=self.config.jump_forward_rows,
            prompt=prompt,
        )
        stats = CallStats(
            mode=mode,
            latency_s=gen.latency_s,
            prompt_tokens=gen.prompt_tokens,
            completion_tokens=gen.completion_tokens,
            cached_tokens=gen.cached_tokens,
            temperature=temperature,
            grammar=grammar is not None,
            stopped=gen.stopped,
            decode_steps=gen.decode_steps,
            forced_tokens=gen.forced_tokens,
        )
        return gen, stats

    def interpret(
        self, ctx: dict[str, Any], message: str, history: list[dict[str, Any]] | None = None
    ) -> InterpreterCall:
        messages = self.messages("interpreter", ctx, message, history=history)
        grammar = self._grammar
        if grammar is not None and self.config.pin_free_text and isinstance(message, str):
            grammar = pin_free_text(grammar, verbatim_free_text(message))
        gen, stats = self._generate("interpreter", messages, grammar=grammar)
        raw = strip_thinking(gen.text)
        parse = parse_request(raw, user_message=message)
        if not self.config.scores_actions:
            return InterpreterCall(raw=gen.text, parse=parse, stats=stats)
        # Scored after generation from the generated tokens, so the prefix is the model's own.
        started = time.perf_counter()
        scores = score_actions(self._engine, self.prompt_ids(messages), gen.ids)
        # The call's cost includes the scoring decodes: the app pays them when it serves P(action).
        scoring_s = time.perf_counter() - started
        stats = dataclasses.replace(stats, latency_s=stats.latency_s + scoring_s)
        served = None
        action = parse.request.get("action")
        if (
            self.config.confidence_source == "action_probability"
            and scores is not None
            and parse.ok
            and action in scores.candidates
        ):
            # On the grammar's 0.05 steps, as the canonical request (and the coach) carries it.
            served = round_confidence(scores.grammar()[action])
        return InterpreterCall(
            raw=gen.text, parse=parse, stats=stats, action_scores=scores, served_confidence=served
        )

    def coach(
        self,
        ctx: dict[str, Any],
        message: str,
        interpreter_output: str,
        history: list[dict[str, Any]] | None = None,
    ) -> CoachCall:
        lang = _language(message, ctx)
        if self.config.coach_contract_replies and isinstance(message, str):
            fixed = coach_contract_reply(message, ctx, lang)
            if fixed is not None:
                return CoachCall(
                    raw="",
                    text=fixed.text,
                    garbled=False,
                    stats=None,
                    source="contract",
                    intent=fixed.intent,
                )
        messages = self.messages(
            "coach", ctx, message, history=history, interpreter_output=interpreter_output
        )
        gen, stats = self._generate("coach", messages, grammar=None)
        governed = govern(strip_thinking(gen.text))
        # Everything the model saw besides its instructions is what a number may come from.
        seen = "\n".join(m["content"] for m in messages if m["role"] != "system")
        guarded = guard_coach_text(governed, context_text=seen, lang=lang)
        return CoachCall(
            raw=gen.text,
            text=guarded.text,
            garbled=looks_garbled(guarded.text),
            stats=stats,
            guard_dropped=guarded.dropped,
        )

    def turn(
        self, ctx: dict[str, Any], message: str, history: list[dict[str, Any]] | None = None
    ) -> TurnResult:
        if not isinstance(message, str) or not message.strip():
            raise ContractError("the athlete's message is empty")
        validate_context(ctx)
        if not load_tool_dispatch()["tiers"].get(ctx["tier"], {}).get("chat", False):
            return self._no_chat_turn(ctx, message)
        interp = self.interpret(ctx, message, history)
        post = postprocess(interp.request, user_message=message, ctx=ctx)
        red_flags = tuple(post.red_flags)
        decision = route(post.request, ctx, red_flags=red_flags)
        fallbacks = [] if interp.parse.ok else ["parse_failure"]
        calls = [interp.stats]
        coach_text: str | None = None
        guard_dropped: tuple[str, ...] = ()
        if red_flags and post.safe_reply:
            # Safety replies come from code, never from the model.
            reply, source = post.safe_reply, "safety"
        elif decision.allowed and decision.needs_coach:
            output = interp.raw.strip() if interp.parse.ok else dumps_request(post.request)
            coach = self.coach(ctx, message, output, history)
            if coach.stats is not None:
                calls.append(coach.stats)
            coach_text = coach.text
            guard_dropped = coach.guard_dropped
            if coach.garbled:
                fallbacks.append("coach_fallback")
                reply, source = self._fallback_message(message, ctx), "fallback"
            else:
                reply, source = coach.text, ("coach" if coach.source == "model" else coach.source)
        else:
            reply = decision.reply or post.safe_reply or ""
            source = "router" if reply or not decision.engine_call else "engine"
        if decision.allowed and decision.confirm and not red_flags:
            # 0.5-0.8 confidence: act, then ask whether the request was understood (the one
            # question).
            question = app_message("confirm", decision.lang or "en")
            reply = govern(f"{reply} {question}".strip())
        return TurnResult(
            request=post.request,
            route=decision,
            reply=reply,
            coach_text=coach_text,
            calls=tuple(calls),
            interpreter_raw=interp.raw,
            parse_ok=bool(interp.parse.ok),
            fallbacks=tuple(fallbacks),
            changes=tuple(post.changes),
            red_flags=red_flags,
            guard_dropped=guard_dropped,
            reply_source=source,
            action_probs=interp.action_probs,
        )

    @staticmethod
    def _no_chat_turn(ctx: dict[str, Any], message: str) -> TurnResult:
        # Tiers without chat never reach the model; the router words the refusal.
        parse = parse_request("", user_message=message)
        decision = route(parse.request, ctx)
        return TurnResult(
            request=parse.request,
            route=decision,
            reply=decision.reply or "",
            coach_text=None,
            calls=(),
            interpreter_raw="",
            parse_ok=False,
            fallbacks=("no_chat",),
        )

    @staticmethod
    def _fallback_message(message: str, ctx: dict[str, Any]) -> str:
        key = load_tool_dispatch()["fallbacks"]["coach_empty_message"]
        return app_message(key, _language(message, ctx))

    def clear_cache(self) -> None:
        self._engine.clear_cache()

    def close(self) -> None:
        self._engine.close()

    def __enter__(self) -> JosiRuntime:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _language(message: str, ctx: dict[str, Any]) -> str:
    """The language of the athlete's message, falling back to the context's when unclear."""
    default = ctx.get("language") if ctx.get("language") in LANGUAGES else "en"
    return detect_language(message, default=default)
