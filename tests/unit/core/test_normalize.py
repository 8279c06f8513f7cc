"""One Unicode normalisation before every lexicon detector.

The rule and its vectors live in josi.lang._normalize and
fixtures/conformance/match_normalization.json; this file checks that every detector uses it.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from josi.lang import detect_language, normalize_for_matching
from josi.postprocess import detect_red_flags, extract_minutes, find_sports, postprocess
from josi.scorers import forbidden_words, i6_refusal, pushback
from tests.unit.core._contexts import make_ctx

ZWSP, SOFT_HYPHEN, WORD_JOINER = "\u200b", "\u00ad", "\u2060"

DETECTORS: dict[str, Callable[[str], Any]] = {
    "red_flags": detect_red_flags,
    "sport": find_sports,
    "time": extract_minutes,
    "language": detect_language,
    "i6_refusal": lambda text: i6_refusal(text).passed,
    "pushback": lambda text: pushback(text).passed,
    "forbidden_words": lambda text: forbidden_words(text, "en").passed,
}

# (detector, message, what the detector finds in the plain message)
CASES = [
    ("red_flags", "I have chest pain when I run", ("chest_pain",)),
    ("red_flags", "ik ben gisteren flauwgevallen", ("fainting",)),
    ("sport", "I want to go running tomorrow", ("run",)),
    ("sport", "Ik wil liever fietsen vandaag", ("bike",)),
    ("time", "I have 45 minutes today", 45),
    ("time", "ik heb twintig minuten", 20),
    ("language", "niet vandaag, ik ben moe", "nl"),
    (
        "i6_refusal",
        "I hear you. I can't change your plan, so today's session stays as planned.",
        True,
    ),
    (
        "pushback",
        "Honestly, that's not realistic yet. Let's build up gradually, step by step.",
        True,
    ),
    ("forbidden_words", "The algorithm decided this for you.", False),
]


def _inside_words(text: str, mark: str) -> str:
    """``mark`` after the first character of every word: invisible, but it splits the word."""
    return " ".join(word[:1] + mark + word[1:] for word in text.split(" "))


def _fullwidth(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "!" <= c <= "~" else c for c in text)


VARIANTS: dict[str, Callable[[str], str]] = {
    "zero-width-space": lambda text: _inside_words(text, ZWSP),
    "soft-hyphen": lambda text: _inside_words(text, SOFT_HYPHEN),
    "word-joiner": lambda text: _inside_words(text, WORD_JOINER),
    "fullwidth": _fullwidth,
}


def test_a_zero_width_space_does_not_hide_chest_pain() -> None:
    """``detect_red_flags("chest\\u200bpain")`` once found no red flag."""
    assert detect_red_flags("chest\u200bpain") == ("chest_pain",)
    assert detect_red_flags("I\u200bfainted\u200bafter\u200bmy\u200brun") == ("fainting",)
    assert detect_red_flags("ch\u200best pain") == ("chest_pain",)


@pytest.mark.parametrize("variant", sorted(VARIANTS))
@pytest.mark.parametrize(
    ("detector", "text", "expected"), CASES, ids=[f"{d}-{t[:24]}" for d, t, _ in CASES]
)
def test_every_detector_sees_through_format_characters_and_compatibility_forms(
    detector: str, text: str, expected: Any, variant: str
) -> None:
    """The table's messages, with zero-width characters inside the words or in fullwidth
    letters, give each detector the plain message's result."""
    detect = DETECTORS[detector]
    assert detect(text) == expected
    assert detect(VARIANTS[variant](text)) == expected


def test_free_text_keeps_the_message_as_written() -> None:
    message = "chest\u200bpain, can I still do my 45 min run?"
    request = {"action": "create_workout", "free_text": "x", "sport": "run"}
    result = postprocess(request, user_message=message, ctx=make_ctx())
    assert result.request["free_text"] == message
    assert result.red_flags == ("chest_pain",)
    assert result.request["time_available_min"] == 45


_plain_text = st.text(max_size=80).map(lambda t: normalize_for_matching(t))
_format_chars = st.sampled_from(
    [ZWSP, SOFT_HYPHEN, WORD_JOINER, "\u200c", "\u200d", "\ufeff", "\u200e", "\u202e", "\u2066"]
)


@settings(max_examples=150, deadline=None, derandomize=True)
@given(st.text(max_size=80))
def test_normalisation_is_idempotent_and_leaves_no_format_characters(text: str) -> None:
    once = normalize_for_matching(text)
    assert normalize_for_matching(once) == once
    assert not any(unicodedata.category(ch) == "Cf" for ch in once)
    assert unicodedata.is_normalized("NFKC", once)


@settings(max_examples=150, deadline=None, derandomize=True)
@given(_plain_text, st.lists(st.tuples(st.integers(min_value=0), _format_chars), max_size=6))
def test_format_characters_change_no_result(text: str, inserts: list[tuple[int, str]]) -> None:
    """Text already in the normal form is returned as it is, and format characters inserted
    anywhere change no detector's result (red flags may only gain a flag from the spaced form)."""
    assert normalize_for_matching(text) == text
    marked = text
    for position, mark in inserts:
        at = position % (len(marked) + 1)
        marked = marked[:at] + mark + marked[at:]
    for name, detect in DETECTORS.items():
        if name == "red_flags":
            assert set(detect(text)) <= set(detect(marked))
        else:
            assert detect(marked) == detect(text), name


def test_stretched_letters_are_also_read_cut_to_two_and_to_one() -> None:
    from josi.postprocess._rules import normalised_forms

    assert normalised_forms("maaaak het zwaarder") == (
        "maaaak het zwaarder",
        "maak het zwaarder",
        "mak het zwaarder",
    )
    # Doubled letters are spelling, not emphasis: nothing to cut, one form.
    assert normalised_forms("need a week off") == ("need a week off",)
    # Digits and punctuation are not letters ("1000", "!!!").
    assert normalised_forms("5x1000m!!!") == ("5x1000m!!!",)
