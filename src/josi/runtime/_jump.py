"""Jump-forward decoding: find the text a grammar forces next, so it can be evaluated in one batch.

llama.cpp's grammar sampler only masks candidate tokens; it never says what comes next. But a
byte-level vocabulary has a token for every single byte, so offering the grammar those 256
tokens (plus end-of-generation) asks it which bytes may come next. When exactly one byte may,
and ending may not, that byte is forced: accept it on a clone of the sampler and ask again.
The run stops at the first choice, and what it found is the forced text.

The forced text is a string, not tokens. The engine tokenises it and treats those tokens as a
draft: one batch evaluates them all, and the ordinary sampler then picks a token at each
drafted position from that position's logits. A draft token is kept only when the sampler
picks exactly it; at the first disagreement (the model splits the text differently, or runs
past the end of the forced text into a choice), the rest of the draft is dropped from the KV
cache and decoding goes on from the token the sampler picked. So the output is the one
token-by-token decoding gives, at any temperature: the same logits reach the same sampler
calls in the same order, and the random draws are the same.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from josi._lazy import require

# (the bytes the grammar admits next, whether it admits the end of generation here)
Probe = Callable[[], tuple[frozenset[int], bool]]


def forced_bytes(probe: Probe, accept: Callable[[int], None], limit: int) -> bytes:
    """The bytes ``probe`` admits one at a time with no alternative, at most ``limit`` of them.

    ``accept`` advances the grammar by one byte; a caller probing a live sampler hands in a
    clone, since accepting consumes state.
    """
    out = bytearray()
    while len(out) < limit:
        allowed, may_end = probe()
        if may_end or len(allowed) != 1:
            break
        (byte,) = allowed
        out.append(byte)
        accept(byte)
    return bytes(out)


def whole_chars(data: bytes) -> bytes:
    """``data`` without a trailing incomplete UTF-8 sequence.

    A choice can fall inside a character (two accented letters share a lead byte); such a lead
    byte cannot be tokenised on its own and is left for the sampler.
    """
    for back in range(1, min(4, len(data)) + 1):
        byte = data[-back]
        if byte & 0xC0 != 0x80:  # a lead byte or ASCII: does its sequence end within data?
            need = (
                1 if byte < 0x80 else 2 if byte >> 5 == 0b110 else 3 if byte >> 4 == 0b1110 else 4
            )
            return data if need <= back else data[: len(data) - back]
    return data


def forced_spans(output: bytes, forced_after: Callable[[bytes], bytes]) -> list[tuple[int, bytes]]:
    """Where a complete grammatical ``output`` was forced: (byte offset, forced bytes) pairs.

    ``forced_after(prefix)`` is the text the grammar forces after ``prefix``. Between spans
    the output advances one byte at a time: each such byte was a free choice.
    """
    spans: list[tuple[int, bytes]] = []
    pos = 0
    while pos < len(output):
        forced = forced_after(output[:pos])
        if not forced:
            pos += 1
            continue
        if not output.startswith(forced, pos):
            raise ValueError(f"the output leaves the forced text {forced!r} at byte {pos}")
        spans.append((pos, forced))
        pos += len(forced)
    return spans


def single_byte_tokens(pieces: Iterable[tuple[int, bytes]]) -> dict[int, int]:
    """The first token whose piece is exactly one byte, for each byte value that has one."""
    table: dict[int, int] = {}
    for token, piece in pieces:
        if len(piece) == 1 and piece[0] not in table:
            table[piece[0]] = token
    return table


class GrammarProbe:
    """Asks a llama.cpp grammar sampler which bytes it admits next, without changing its state."""

    def __init__(self, lc: Any, byte_tokens: dict[int, int], eog_token: int) -> None:
        np = require("numpy")
        self._lc = lc
        self._bytes = sorted(byte_tokens)
        self._token_of = dict(byte_tokens)
        # End of generation goes last, so the last row says whether the grammar may end here.
        self._ids = np.array([byte_tokens[b] for b in self._bytes] + [eog_token], dtype=np.intc)
        self._cand = np.zeros(
            len(self._ids),
            dtype=np.dtype([("id", np.intc), ("logit", np.single), ("p", np.single)], align=True),
        )
        self._array = lc.llama_token_data_array(
            data=self._cand.ctypes.data_as(lc.llama_token_data_p),
            size=len(self._ids),
            selected=-1,
            sorted=False,
        )

    @classmethod
    def for_llama(cls, llm: Any) -> GrammarProbe:
        """The probe for a loaded ``llama_cpp.Llama`` (a vocab-only load is enough)."""
        lc = require("llama_cpp")
        vocab = llm._model.vocab
        buffer = lc.ctypes.create_string_buffer(8)

        def piece(token: int) -> bytes:
            # LlamaModel.token_to_piece returns its whole buffer, padding included.
            n = lc.llama_token_to_piece(vocab, token, buffer, len(buffer), 0, False)
            return buffer.raw[:n] if 0 <= n <= len(buffer) else b""

        pieces = (
            (token, piece(token))
            for token in range(llm.n_vocab())
            if not lc.llama_vocab_is_eog(vocab, token)
        )
        return cls(lc, single_byte_tokens(pieces), llm.token_eos())

    def _probe(self, sampler: Any) -> tuple[frozenset[int], bool]:
        lc = self._lc
        self._cand["id"] = self._ids
        self._cand["logit"] = 0.0
        self._array.size, self._array.selected, self._array.sorted = len(self._ids), -1, False
        lc.llama_sampler_apply(sampler, lc.ctypes.byref(self._array))
        # The grammar only masks (logit -inf); it keeps the order, so row i is still token i.
        open_rows = (self._cand["logit"] != float("-inf")).nonzero()[0]
        may_end = bool(len(open_rows)) and int(open_rows[-1]) == len(self._ids) - 1
        allowed = frozenset(self._bytes[i] for i in open_rows if i < len(self._bytes))
        return allowed, may_end

    def forced(self, grammar: Any, limit: int) -> bytes:
        """The bytes ``grammar`` (a llama.cpp grammar sampler) forces next; it is left as it was."""
        lc = self._lc
        clone = lc.llama_sampler_clone(grammar)
        try:
            return forced_bytes(
                lambda: self._probe(clone),
                lambda byte: lc.llama_sampler_accept(clone, self._token_of[byte]),
                limit,
            )
        finally:
            lc.llama_sampler_free(clone)

    def accept_bytes(self, grammar: Any, data: bytes) -> None:
        """Advance ``grammar`` over ``data`` one single-byte token at a time."""
        for byte in data:
            self._lc.llama_sampler_accept(grammar, self._token_of[byte])


def grammar_forced_spans(llm: Any, grammar: str, output: str) -> list[tuple[int, str]]:
    """Where ``grammar`` (GBNF) forced a complete ``output``: (character offset, text) pairs.

    The reference for a port: a sampler of ``llm``'s vocabulary is advanced over each prefix
    of the output and probed for what it forces next.
    """
    lc = require("llama_cpp")
    probe = GrammarProbe.for_llama(llm)
    data = output.encode("utf-8")

    def forced_after(prefix: bytes) -> bytes:
        sampler = lc.llama_sampler_init_grammar(llm._model.vocab, grammar.encode("utf-8"), b"root")
        if not sampler:
            raise ValueError("the grammar does not compile")
        try:
            probe.accept_bytes(sampler, prefix)
            return probe.forced(sampler, len(data))
        finally:
            lc.llama_sampler_free(sampler)

    return [
        (len(data[:at].decode("utf-8")), text.decode("utf-8"))
        for at, text in forced_spans(data, forced_after)
    ]
