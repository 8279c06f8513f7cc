"""One loaded GGUF: tokenization with the model's own vocabulary, grammar compilation
that fails loudly, and generation that reuses the KV cache of a shared prompt prefix.

llama-cpp-python 0.3.36 does not validate grammars: ``LlamaGrammar.from_string``
stores the text, and ``llama_sampler_init_grammar`` returns NULL on a parse error
(after logging ``parse: error parsing grammar``). ``Llama.generate`` adds that NULL
to its sampler chain and the process then dies with SIGSEGV. So the sampler chain is
built here, and a NULL grammar sampler raises GrammarError before any decoding.
"""

from __future__ import annotations

import contextlib
import io
import math
import time
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from josi._errors import ContractError, GrammarError, ModelFileError
from josi._gguf import GgufInfo, inspect_gguf
from josi._lazy import require
from josi.runtime._config import DryPenalty, RuntimeConfig
from josi.runtime._jump import GrammarProbe, whole_chars

# One snapshot per (mode, system prompt); a few spare for persona or style variants.
_MAX_SNAPSHOTS = 8


@dataclass(frozen=True)
class Generation:
    """Raw output of one generation and what it cost."""

    text: str
    prompt_tokens: int
    completion_tokens: int
    cached_tokens: int
    latency_s: float
    stopped: str  # "eog" | "max_tokens" | "context_full"
    decode_steps: int = 0  # llama_decode calls after the prompt: forward passes spent on the output
    forced_tokens: int = (
        0  # output tokens that came in a jump-forward batch, not a decode of their own
    )
    ids: tuple[int, ...] = ()  # the generated tokens: a later step can score from this exact prefix


@dataclass(frozen=True)
class ContinuationScores:
    """Log-probabilities of a few alternative continuations of one token prefix.

    Two distributions, for two questions:

    - ``logprobs`` (``raw()``): the sum of each candidate's token log-probabilities under the
      model's own distribution, no grammar, no sampler. It says how much of the model's mass
      sits on the candidates at all (``candidate_mass``: the raw mass of their first tokens;
      the rest goes to tokens the grammar forbids or to other spellings of the same values)
      and is what two model files are compared on, since the grammar hides their differences.
    - ``grammar_logprobs`` (``grammar()``): the distribution a grammar that admits exactly
      these candidates leaves, before any sampler truncation: at every step where candidates
      branch the model's probabilities are renormalised over the branches, and a step where
      only one candidate continues is forced (probability 1). When the candidates' first
      tokens are distinct, as the five action values' are for the shipped tokenizers, this is
      the first-token distribution renormalised over the five. It is what the constrained
      decoder draws from, so confidence, the shipped-sampler figures and greedy agreement use
      it. It omits the mass of non-canonical spellings (a value written in smaller pieces),
      which the grammar also admits: ``1 - candidate_mass`` bounds that error.
    """

    candidates: tuple[str, ...]
    token_ids: tuple[tuple[int, ...], ...]
    logprobs: tuple[float, ...]
    grammar_logprobs: tuple[float, ...]
    candidate_mass: float

    def raw(self) -> dict[str, float]:
        return {c: math.exp(lp) for c, lp in zip(self.candidates, self.logprobs, strict=False)}

    def grammar(self) -> dict[str, float]:
        return {
            c: math.exp(lp) for c, lp in zip(self.candidates, self.grammar_logprobs, strict=False)
        }


def compile_grammar(lc: Any, vocab: Any, text: str) -> Any:
    """A grammar sampler for ``text`` on ``vocab``; GrammarError when llama.cpp refuses it."""
    log = io.StringIO()
    with contextlib.redirect_stderr(log):
        sampler = lc.llama_sampler_init_grammar(vocab, text.encode("utf-8"), b"root")
    if not sampler:
        detail = "; ".join(line.strip() for line in log.getvalue().splitlines() if "error" in line)
        raise GrammarError(
            "the GBNF grammar failed to compile"
            + (f": {detail}" if detail else "")
            + "; refusing to decode without it"
        )
    return sampler


def grammar_accepts(llm: Any, grammar: str, text: str) -> bool:
    """True when ``text`` is a complete sentence of ``grammar`` under ``llm``'s vocabulary.

    Needs only the vocabulary (a ``vocab_only`` load will do): the text is tokenised and each
    token offered to the grammar in turn, then end-of-generation.
    """
    lc = require("llama_cpp")
    vocab = llm._model.vocab
    sampler = compile_grammar(lc, vocab, grammar)
    one = (lc.llama_token_data * 1)()
    array = lc.llama_token_data_array(data=one, size=1, selected=-1, sorted=False)

    def allowed(token: int) -> bool:
        one[0].id, one[0].logit, one[0].p = token, 1.0, 0.0
        array.size, array.selected = 1, -1
        lc.llama_sampler_apply(sampler, lc.ctypes.byref(array))
        return one[0].logit != float("-inf")

    try:
        for token in llm.tokenize(text.encode("utf-8"), add_bos=False, special=False):
            if not allowed(token):
                return False
            lc.llama_sampler_accept(sampler, token)
        return allowed(llm.token_eos())
    finally:
        lc.llama_sampler_free(sampler)


def check_prompt_fits(n_tokens: int, n_ctx: int) -> None:
    """Refuse a prompt that leaves the context no room for even one generated token."""
    if n_tokens >= n_ctx - 1:
        raise ContractError(
            f"the prompt has {n_tokens} tokens but the context holds {n_ctx}; "
            "shorten the history or raise n_ctx"
        )


def token_text(llm: Any, token: int) -> str:
    """The text of one token, special tokens included ("" for none)."""
    if token < 0:
        return ""
    return llm.detokenize([token], special=True).decode("utf-8", errors="replace")


@dataclass
class _Snapshot:
    ids: tuple[int, ...]
    state: Any  # ctypes byte array of the sequence's KV cache


class _Sampler:
    """Token sampling with an optional grammar, the way llama.cpp's common sampler does it.

    The unconstrained chain proposes a token and the grammar checks only that one
    candidate; the whole vocabulary goes through the grammar only when it rejects
    the proposal. Greedy decoding picks exactly the token full grammar-first
    filtering would pick, at a fraction of the cost on large vocabularies.
    """

    def __init__(self, lc: Any, chain: Any, grammar: Any, n_vocab: int, vocab: Any) -> None:
        np = require("numpy")
        self._lc, self._chain, self._grammar, self._vocab = lc, chain, grammar, vocab
        self._np, self._n_vocab = np, n_vocab
        self._one = (lc.llama_token_data * 1)()
        self._one_array = lc.llama_token_data_array(
            data=self._one, size=1, selected=-1, sorted=False
        )
        self._all = None
        self._all_array = None
        self.resampled = 0

    def _full_candidates(self, ctx: Any, idx: int) -> Any:
        np, lc = self._np, self._lc
        if self._all is None:
            self._all = np.zeros(
                self._n_vocab,
                dtype=np.dtype(
                    [("id", np.intc), ("logit", np.single), ("p", np.single)], align=True
                ),
            )
            self._all_array = lc.llama_token_data_array(
                data=self._all.ctypes.data_as(lc.llama_token_data_p),
                size=self._n_vocab,
                selected=-1,
                sorted=False,
            )
        logits = np.ctypeslib.as_array(lc.llama_get_logits_ith(ctx, idx), shape=(self._n_vocab,))
        self._all["id"] = np.arange(self._n_vocab, dtype=np.intc)
        self._all["logit"] = logits
        self._all["p"] = 0.0
        self._all_array.size, self._all_array.selected, self._all_array.sorted = (
            self._n_vocab,
            -1,
            False,
        )
        return self._all_array

    def sample(self, ctx: Any, idx: int = -1) -> int:
        """The next token from the logits of position ``idx`` of the last batch."""
        lc = self._lc
        token = lc.llama_sampler_sample(self._chain.sampler, ctx, idx)
        if self._grammar is None:
            return token
        self._one[0].id, self._one[0].logit, self._one[0].p = token, 1.0, 0.0
        self._one_array.size, self._one_array.selected = 1, -1
        lc.llama_sampler_apply(self._grammar, lc.ctypes.byref(self._one_array))
        if self._one[0].logit == float("-inf"):
            self.resampled += 1
            candidates = self._full_candidates(ctx, idx)
            lc.llama_sampler_apply(self._grammar, lc.ctypes.byref(candidates))
            lc.llama_sampler_apply(self._chain.sampler, lc.ctypes.byref(candidates))
            token = int(self._all["id"][candidates.selected])
            lc.llama_sampler_accept(self._chain.sampler, token)
        # The grammar only ever sees end-of-generation when it allowed it; it is not fed further.
        if not lc.llama_vocab_is_eog(self._vocab, token):
            lc.llama_sampler_accept(self._grammar, token)
        return token

    def close(self) -> None:
        if self._grammar is not None:
            self._lc.llama_sampler_free(self._grammar)
            self._grammar = None
        self._chain.close()


class Engine:
    """A GGUF loaded once; shared by both modes and by every call."""

    def __init__(self, config: RuntimeConfig) -> None:
        self.info: GgufInfo = inspect_gguf(config.gguf)
        self._llama_cpp = require("llama_cpp")
        kv_type = getattr(self._llama_cpp, f"GGML_TYPE_{config.kv_cache_type.upper()}")
        kwargs: dict[str, Any] = {
            "model_path": str(config.gguf),
            "n_ctx": config.n_ctx,
            "n_batch": min(config.n_batch, config.n_ctx),
            "n_ubatch": min(config.n_batch, config.n_ctx),
            "seed": config.seed,
            "n_gpu_layers": config.n_gpu_layers,
            "flash_attn": config.flash_attn,
            "type_k": kv_type,
            "type_v": kv_type,
            "verbose": False,
        }
        if config.n_threads is not None:
            kwargs["n_threads"] = kwargs["n_threads_batch"] = config.n_threads
        log = io.StringIO()
        try:
            with contextlib.redirect_stderr(log):
                self.llm = self._llama_cpp.Llama(**kwargs)
        except (ValueError, RuntimeError, OSError) as exc:
            detail = " ".join(log.getvalue().split())[-400:]
            raise ModelFileError(
                f"llama.cpp could not load {config.gguf}: {exc}"
                + (f" ({detail})" if detail else "")
            ) from exc
        self.n_ctx = self.llm.n_ctx()
        metadata = self.llm.metadata
        self.chat_template: str | None = (
            metadata.get("tokenizer.chat_template") or self.info.chat_template
        )
        self.add_bos: bool = bool(self.llm._model.add_bos_token())
        self.bos_id: int = self.llm.token_bos()
        self.bos_text = token_text(self.llm, self.bos_id)
        self.eos_text = token_text(self.llm, self.llm.token_eos())
        self._vocab = self.llm._model.vocab
        self._snapshots: dict[tuple[int, ...], _Snapshot] = {}
        # The prefix whose snapshot state the live cache starts with, if any.
        self._snapshot_prefix: tuple[int, ...] | None = None
        self._probe: GrammarProbe | None = None

    # --- tokens -------------------------------------------------------------------------

    def tokenize(self, prompt: str) -> list[int]:
        """Token ids of a rendered prompt, special tokens parsed, exactly one BOS if the model wants
        one."""
        ids = self.llm.tokenize(prompt.encode("utf-8"), add_bos=False, special=True)
        if self.add_bos and self.bos_id >= 0:
            if not ids or ids[0] != self.bos_id:
                ids = [self.bos_id, *ids]
            if len(ids) > 1 and ids[1] == self.bos_id:
                raise ContractError(
                    "the rendered prompt starts with two BOS tokens: "
                    "the chat template already adds BOS and so does the tokenizer; "
                    "fix the template or the add_bos_token metadata"
                )
        return ids

    def count_tokens(self, text: str) -> int:
        return len(self.llm.tokenize(text.encode("utf-8"), add_bos=False, special=True))

    def detokenize(self, ids: list[int]) -> str:
        return self.llm.detokenize(ids).decode("utf-8", errors="replace")

    # --- grammar ------------------------------------------------------------------------

    def _grammar_sampler(self, text: str) -> Any:
        return compile_grammar(self._llama_cpp, self._vocab, text)

    def check_grammar(self, text: str) -> None:
        """Raise GrammarError unless llama.cpp compiles ``text`` against this vocabulary."""
        self._llama_cpp.llama_sampler_free(self._grammar_sampler(text))

    def _sampler(
        self,
        *,
        temperature: float,
        top_p: float,
        top_k: int,
        min_p: float,
        seed: int,
        grammar: str | None,
        dry: DryPenalty | None = None,
    ) -> _Sampler:
        internals = require("llama_cpp._internals")
        chain = internals.LlamaSampler()
        if dry is not None:
            # The sampler only ever sees this reply's tokens, so a context-sized window covers
            # the whole reply. llama.cpp's -1 ("context size") is resolved by its CLI, not here:
            # passed to the sampler it disables DRY.
            chain.add_dry(
                self.llm._model,
                dry.multiplier,
                dry.base,
                dry.allowed_length,
                self.n_ctx,
                list(dry.breakers),
            )
        if temperature <= 0.0:
            chain.add_greedy()
        else:
            if top_k > 0:
                chain.add_top_k(top_k)
            chain.add_top_p(top_p, 1)
            if min_p > 0.0:
                chain.add_min_p(min_p, 1)
            chain.add_temp(temperature)
            chain.add_dist(seed)
        try:
            grammar_ptr = self._grammar_sampler(grammar) if grammar is not None else None
        except GrammarError:
            chain.close()
            raise
        return _Sampler(self._llama_cpp, chain, grammar_ptr, self.llm.n_vocab(), self._vocab)

    def grammar_accepts(self, grammar: str, text: str) -> bool:
        """True when ``text`` is a complete sentence of ``grammar`` (checked token by token)."""
        return grammar_accepts(self.llm, grammar, text)

    # --- prefix cache ---------------------------------------------------------------------

    def _common_prefix(self, ids: list[int]) -> int:
        current = self.llm.input_ids[: self.llm.n_tokens]
        n = 0
        for a, b in zip(current, ids, strict=False):
            if a != b:
                break
            n += 1
        return n

    def _truncate(self, n: int) -> None:
        self.llm._ctx.kv_cache_seq_rm(-1, n, -1)
        self.llm.n_tokens = n
        if self._snapshot_prefix is not None and n < len(self._snapshot_prefix):
            self._snapshot_prefix = None

    def _save(self, prefix: tuple[int, ...]) -> None:
        lc, ctx = self._llama_cpp, self.llm._ctx.ctx
        size = lc.llama_state_seq_get_size(ctx, 0)
        buffer = (lc.ctypes.c_uint8 * int(size))()
        written = lc.llama_state_seq_get_data(ctx, buffer, size, 0)
        if written:
            while len(self._snapshots) >= _MAX_SNAPSHOTS:
                self._snapshots.pop(next(iter(self._snapshots)))
            self._snapshots[prefix] = _Snapshot(prefix, (buffer, int(written)))

    def _restore(self, snapshot: _Snapshot) -> bool:
        lc, ctx = self._llama_cpp, self.llm._ctx.ctx
        buffer, size = snapshot.state
        self._truncate(0)
        if lc.llama_state_seq_set_data(ctx, buffer, size, 0) != size:
            self._truncate(0)
            return False
        n = len(snapshot.ids)
        self.llm.input_ids[:n] = snapshot.ids
        self.llm.n_tokens = n
        return True

    def _prepare(self, ids: list[int], prefix_len: int, use_cache: bool) -> int:
        """Leave the KV cache of ``ids[:prefix_len]`` in place; return how many tokens it holds.

        Only the shared system-prompt prefix is ever reused, and only in the state that
        evaluating that prefix alone from an empty cache leaves (restored from its snapshot,
        or evaluated and snapshotted now). Reusing whatever the previous call left would make
        a call's logits depend on that call: the same tokens evaluated in other batch splits,
        or generated one at a time, differ in the last bits, and greedy decoding can follow.
        So a case's output never depends on the cases before it.
        """
        if not use_cache or not 0 < prefix_len < len(ids):
            self._truncate(0)
            return 0
        prefix = tuple(ids[:prefix_len])
        if self._snapshot_prefix == prefix and self._common_prefix(ids) >= prefix_len:
            self._truncate(prefix_len)
            return prefix_len
        snapshot = self._snapshots.get(prefix)
        if snapshot is not None and self._restore(snapshot):
            self._snapshot_prefix = prefix
            return prefix_len
        # This call pays for the prefix once; later calls with the same prefix restore it.
        self._truncate(0)
        self.llm.eval(list(prefix))
        self._save(prefix)
        self._snapshot_prefix = prefix
        return 0

    def drop_live_cache(self) -> None:
        """Empty the live KV cache but keep saved prefixes (to compare calls from the same
        state)."""
        self._truncate(0)

    def clear_cache(self) -> None:
        """Forget saved prefixes and the live KV cache."""
        self._snapshots.clear()
        self._truncate(0)

    # --- jump-forward -------------------------------------------------------------------

    def grammar_probe(self) -> GrammarProbe:
        """Asks a grammar sampler of this vocabulary which bytes may come next (built once)."""
        if self._probe is None:
            self._probe = GrammarProbe.for_llama(self.llm)
        return self._probe

    def _draft(self, sampler: _Sampler, room: int) -> list[int]:
        """The tokens of the text the grammar forces next, at most ``room`` of them."""
        if room <= 0 or sampler._grammar is None:
            return []
        # A token rarely spans more than 16 bytes; text past the room would be cut off anyway.
        forced = whole_chars(self.grammar_probe().forced(sampler._grammar, 16 * room))
        if not forced:
            return []
        return self.llm.tokenize(forced, add_bos=False, special=False)[:room]

    def _eval_all(self, tokens: list[int]) -> None:
        """Evaluate ``tokens`` in one batch, keeping the logits of every position."""
        llm = self.llm
        n_past = llm.n_tokens
        llm._ctx.kv_cache_seq_rm(-1, n_past, -1)
        llm._batch.set_batch(batch=tokens, n_past=n_past, logits_all=True)
        llm._ctx.decode(llm._batch)
        llm.input_ids[n_past : n_past + len(tokens)] = tokens
        llm.n_tokens = n_past + len(tokens)

    def _jump(
        self, sampler: _Sampler, token: int, draft: list[int], rows: int
    ) -> tuple[int, int | None, int]:
        """Evaluate ``token`` and the draft in batches of at most ``rows`` positions (0: one
        batch), and let the sampler confirm the draft after each batch.

        The sampler runs at every drafted position exactly as it would have run one decode at a
        time, so its grammar, penalties and random draws stay in step. Returns how many draft
        tokens it confirmed, the token it picked instead at the first disagreement (None when
        it confirmed them all; that position and the draft after it leave the KV cache), and
        how many decodes it spent. A disagreement stops before the next batch is evaluated.
        """
        start = self.llm.n_tokens
        ctx = self.llm._ctx.ctx
        sequence = [token, *draft]
        size = rows if rows > 0 else len(sequence)
        decodes = 0
        for first in range(0, len(sequence), size):
            batch = sequence[first : first + size]
            self._eval_all(batch)
            decodes += 1
            # Position i's logits choose draft[i]; the last position's are the loop's next step.
            for i in range(first, min(first + len(batch), len(draft))):
                picked = sampler.sample(ctx, i - first)
                if picked != draft[i]:
                    self._truncate(start + 1 + i)
                    return i, picked, decodes
        return len(draft), None, decodes

    # --- generation ---------------------------------------------------------------------

    def generate(
        self,
        ids: list[int],
        *,
        max_tokens: int,
        temperature: float,
        top_p: float,
        top_k: int,
        min_p: float,
        seed: int,
        grammar: str | None = None,
        dry: DryPenalty | None = None,
        prefix_len: int = 0,
        use_cache: bool = True,
        mode: str = "",  # which call this is; a scripted engine answers by it
        jump_forward: bool = False,
        jump_rows: int = 0,  # positions per jump-forward decode at most; 0: one batch
        prompt: str | None = None,  # the text of ``ids``: a served engine sends it, this one not
    ) -> Generation:
        if not ids:
            raise ContractError("cannot generate from an empty prompt")
        check_prompt_fits(len(ids), self.n_ctx)
        start = time.perf_counter()
        sampler = self._sampler(
            temperature=temperature,
            top_p=top_p,
            top_k=top_k,
            min_p=min_p,
            seed=seed,
            grammar=grammar,
            dry=dry,
        )
        try:
            cached = self._prepare(ids, prefix_len, use_cache)
            self.llm.eval(ids[self.llm.n_tokens :])
            out: list[int] = []
            stopped = "max_tokens"
            budget = min(max_tokens, self.n_ctx - len(ids))
            steps = forced = 0
            picked: int | None = None  # a token the sampler chose while checking a draft
            while len(out) < budget:
                token = picked if picked is not None else sampler.sample(self.llm._ctx.ctx)
                picked = None
                if self._llama_cpp.llama_vocab_is_eog(self._vocab, token):
                    stopped = "eog"
                    break
                out.append(token)
                if self.llm.n_tokens >= self.n_ctx:
                    stopped = "context_full"
                    break
                # The draft stays within the token budget, the context and one batch, so every
                # token it keeps is one the loop would have reached decoding one at a time.
                room = min(
                    budget - len(out), self.n_ctx - self.llm.n_tokens - 1, self.llm.n_batch - 1
                )
                draft = self._draft(sampler, room) if jump_forward else []
                if not draft:
                    self.llm.eval([token])
                    steps += 1
                    continue
                kept, picked, decodes = self._jump(sampler, token, draft, jump_rows)
                out.extend(draft[:kept])
                forced += kept
                steps += decodes
            if len(out) >= budget and budget < max_tokens:
                stopped = "context_full"
        finally:
            sampler.close()
        return Generation(
            text=self.detokenize(out),
            prompt_tokens=len(ids),
            completion_tokens=len(out),
            cached_tokens=cached,
            latency_s=time.perf_counter() - start,
            stopped=stopped,
            decode_steps=steps,
            forced_tokens=forced,
            ids=tuple(out),
        )

    # --- scoring ------------------------------------------------------------------------

    def _decode_logprobs(self, tokens: list[int]) -> Any:
        """Append ``tokens`` to the KV cache in one decode; the log-softmax after each of them."""
        np, llm = require("numpy"), self.llm
        n_past, n = llm.n_tokens, len(tokens)
        llm._ctx.kv_cache_seq_rm(-1, n_past, -1)
        llm._batch.set_batch(batch=tokens, n_past=n_past, logits_all=True)
        llm._ctx.decode(llm._batch)
        llm.input_ids[n_past : n_past + n] = tokens
        llm.n_tokens = n_past + n
        n_vocab = llm.n_vocab()
        logits = self._llama_cpp.llama_get_logits_ith
        rows = np.stack(
            [np.ctypeslib.as_array(logits(llm._ctx.ctx, i), shape=(n_vocab,)) for i in range(n)]
        ).astype(np.float64)
        rows -= rows.max(axis=1, keepdims=True)
        rows -= np.log(np.exp(rows).sum(axis=1, keepdims=True))
        return rows

    def score_continuations(
        self, prompt_ids: Sequence[int], prefix_ids: Sequence[int], candidates: Sequence[str]
    ) -> ContinuationScores:
        """Score each candidate text as the continuation of ``prompt_ids + prefix_ids``.

        Multiple-choice scoring: the shared prefix is decoded once (whatever the KV cache
        already holds of it is reused, so right after ``generate`` only its last token is
        decoded again), then each candidate's tokens but its last in one decode, truncating
        back to the prefix between candidates. Pass the tokens the model actually generated
        as ``prefix_ids``: a re-tokenised text can split differently and would score another
        context. Candidates are tokenised on their own, which matches their tokens in context
        when the prefix ends at a pre-tokenizer boundary (a quote before a word does).
        The cache ends holding the prefix. See ``ContinuationScores`` for the two results.
        """
        np = require("numpy")
        tokens = [
            tuple(self.llm.tokenize(c.encode("utf-8"), add_bos=False, special=False))
            for c in candidates
        ]
        for c, t in zip(candidates, tokens, strict=False):
            if not t:
                raise ContractError(f"candidate {c!r} has no tokens")
            shadowed = [
                o for o, u in zip(candidates, tokens, strict=False) if u != t and u[: len(t)] == t
            ]
            if shadowed or tokens.count(t) > 1:
                raise ContractError(
                    f"candidate {c!r} is a token prefix of {shadowed or [c]}; "
                    "scoring needs candidates that end where they differ"
                )
        ids = [*prompt_ids, *prefix_ids]
        if not ids:
            raise ContractError("cannot score continuations of an empty prefix")
        if len(ids) + max(len(t) for t in tokens) >= self.n_ctx:
            raise ContractError(f"prefix ({len(ids)} tokens) and candidates do not fit the context")
        reused = min(self._common_prefix(ids), len(ids) - 1)
        self._truncate(reused)
        if reused < len(ids) - 1:
            self.llm.eval(ids[reused:-1])
        base = len(ids)
        node: dict[tuple[int, ...], Any] = {(): self._decode_logprobs([ids[-1]])[0]}
        raw: list[float] = []
        for t in tokens:
            rows = [node[()]]
            if len(t) > 1:
                self._truncate(base)
                rows += list(self._decode_logprobs(list(t[:-1])))
            for k in range(1, len(t)):
                node.setdefault(t[:k], rows[k])
            raw.append(float(sum(rows[k][t[k]] for k in range(len(t)))))
        self._truncate(base)
        branches: dict[tuple[int, ...], set[int]] = defaultdict(set)
        for t in tokens:
            for k in range(len(t)):
                branches[t[:k]].add(t[k])

        def step(prefix: tuple[int, ...], token: int) -> float:
            options = node[prefix][sorted(branches[prefix])]
            top = options.max()
            return float(node[prefix][token] - top - np.log(np.exp(options - top).sum()))

        grammar = [sum(step(t[:k], t[k]) for k in range(len(t))) for t in tokens]
        first = node[()][sorted(branches[()])]
        return ContinuationScores(
            tuple(candidates), tuple(tokens), tuple(raw), tuple(grammar), float(np.exp(first).sum())
        )

    def close(self) -> None:
        self._snapshots.clear()
        self.llm.close()
