"""Sentences and questions in English and Dutch text.

Sentences are split on ``.``, ``!``, ``?`` and ``…`` (and runs such as ``?!``),
including closing quotes or brackets, when whitespace and a sentence start
follow. A full stop after a known abbreviation (``e.g.``, ``bijv.``) or
followed by a lowercase word does not end a sentence.
"""

from __future__ import annotations

import re

# Lowercase, without the final dot: "e.g." -> "e.g", "bijv." -> "bijv".
# Only abbreviations that are normally followed by a capital or a digit; units
# such as "km." usually end a sentence and are left out on purpose.
_ABBREVIATIONS = frozenset(
    [
        "e.g",
        "eg",
        "i.e",
        "ie",
        "vs",
        "approx",
        "incl",
        "excl",
        "ca",
        "cf",
        "dr",
        "mr",
        "mrs",
        "ms",
        "prof",
        "fig",
        "nr",
        "bijv",
        "bv",
        "o.a",
        "d.w.z",
        "dwz",
        "m.a.w",
        "i.p.v",
        "ipv",
        "t.o.v",
        "tov",
        "vgl",
        "vnl",
        "dhr",
        "mevr",
        "m.b.t",
        "mbt",
        "ong",
        "a.s",
        "evt",
        "z.g.a.n",
        "zgan",
    ]
)

_TERMINAL = ".!?…"
_CLOSING = "\"'”’»)]"
_BOUNDARY = re.compile(r"[.!?…]+[\"'”’»)\]]*(?=\s)")


def _is_abbreviation(text: str, dot_index: int) -> bool:
    """True when the dot at ``dot_index`` ends a known abbreviation."""
    start = dot_index
    while start > 0 and not text[start - 1].isspace() and text[start - 1] not in "(\"'“‘":
        start -= 1
    word = text[start:dot_index].lower()
    return word in _ABBREVIATIONS


def split_sentences(text: str) -> list[str]:
    """Split into sentences, keeping each sentence's own punctuation."""
    text = text.strip()
    if not text:
        return []
    sentences: list[str] = []
    begin = 0
    for match in _BOUNDARY.finditer(text):
        end = match.end()
        rest = text[end:].lstrip()
        if not rest:
            break
        punct = match.group(0).rstrip(_CLOSING)
        if rest[0].islower():
            continue
        if punct == "." and _is_abbreviation(text, match.start()):
            continue
        piece = text[begin:end].strip()
        if piece:
            sentences.append(piece)
        begin = end
    tail = text[begin:].strip()
    if tail:
        sentences.append(tail)
    return sentences


def is_question(sentence: str) -> bool:
    """A sentence is a question when its final punctuation run contains ``?``."""
    core = sentence.rstrip().rstrip(_CLOSING)
    run = len(core) - len(core.rstrip(_TERMINAL))
    return "?" in core[len(core) - run :] if run else False


def count_questions(text: str) -> int:
    """Number of question sentences in ``text``."""
    if not isinstance(text, str):
        return 0
    return sum(1 for s in split_sentences(text) if is_question(s))
