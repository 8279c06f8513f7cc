"""Forced-text detection for jump-forward decoding, against a toy grammar (no model needed)."""

from __future__ import annotations

import pytest

from josi.runtime._jump import forced_bytes, forced_spans, single_byte_tokens, whole_chars


class Literals:
    """A grammar that admits exactly these strings."""

    def __init__(self, *words: str, seen: bytes = b"") -> None:
        self.words = [w.encode("utf-8") for w in words]
        self.seen = seen

    def probe(self) -> tuple[frozenset[int], bool]:
        live = [w for w in self.words if w.startswith(self.seen)]
        after = frozenset(w[len(self.seen)] for w in live if len(w) > len(self.seen))
        return after, self.seen in live

    def accept(self, byte: int) -> None:
        self.seen += bytes([byte])

    def forced_after(self, prefix: bytes) -> bytes:
        fresh = Literals(seen=prefix)
        fresh.words = self.words
        return forced_bytes(fresh.probe, fresh.accept, 1000)


ACTIONS = Literals(
    '{"action":"replan"}',
    '{"action":"explain"}',
    '{"action":"clarify"}',
    '{"action":"create_workout"}',
)


def test_forced_text_runs_to_the_first_choice():
    grammar = Literals(*(w.decode() for w in ACTIONS.words))
    assert forced_bytes(grammar.probe, grammar.accept, 100) == b'{"action":"'
    grammar.accept(ord("c"))
    assert forced_bytes(grammar.probe, grammar.accept, 100) == b""  # create_workout or clarify
    grammar.accept(ord("r"))
    assert forced_bytes(grammar.probe, grammar.accept, 100) == b'eate_workout"}'


def test_forced_text_stops_where_the_grammar_may_end():
    grammar = Literals("run", "running")
    grammar.accept(ord("r"))
    assert forced_bytes(grammar.probe, grammar.accept, 100) == b"un"
    assert forced_bytes(grammar.probe, grammar.accept, 100) == b""  # end here, or go on to "ning"


def test_forced_text_respects_the_limit():
    grammar = Literals("a long forced literal")
    assert forced_bytes(grammar.probe, grammar.accept, 6) == b"a long"
    assert grammar.seen == b"a long"


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"", b""),
        (b"plain", b"plain"),
        ("caf\u00e9".encode(), "caf\u00e9".encode()),
        ("caf\u00e9".encode()[:-1], b"caf"),  # a lead byte whose character the sampler will choose
        ("ok \U0001f3c3".encode(), "ok \U0001f3c3".encode()),
        ("ok \U0001f3c3".encode()[:-1], b"ok "),
        ("ok \U0001f3c3".encode()[:-3], b"ok "),
    ],
)
def test_whole_chars_drops_only_an_unfinished_character(data, expected):
    assert whole_chars(data) == expected


def test_forced_spans_alternate_with_free_choices():
    output = b'{"action":"create_workout"}'
    spans = forced_spans(output, ACTIONS.forced_after)
    # "c" was a choice (create/clarify/...), then "r" (create vs clarify); the rest is forced.
    assert spans == [(0, b'{"action":"'), (13, b'eate_workout"}')]
    assert output[11:13] == b"cr"


def test_forced_spans_refuse_an_output_the_grammar_does_not_admit():
    with pytest.raises(ValueError, match="forced text"):
        forced_spans(b'{"acton":"replan"}', ACTIONS.forced_after)


def test_single_byte_tokens_take_the_first_token_of_each_byte():
    pieces = [(0, b"<s>"), (1, b"a"), (2, b"ab"), (3, b"a"), (4, b"\xc3"), (5, b"")]
    assert single_byte_tokens(pieces) == {ord("a"): 1, 0xC3: 4}
