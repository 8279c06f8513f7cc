"""The coach output guard removes internals and ungrounded numbers in code."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from josi.governor import guard_coach_text
from josi.scorers import forbidden_words, grounded_numbers

CONTEXT = (
    "Waarom rustig?\n\nCONTEXT:\n- Readiness: Yellow (Accumulated)\n"
    '- Session: Z2 45min "Easy Z2 45min" (base phase)'
)

CASES = [
    (
        "clean",
        "Today is an easy 45 minutes in Zone 2. Keep it chatty.",
        "Today is an easy 45 minutes in Zone 2. Keep it chatty.",
        0,
    ),
    (
        "internal-word",
        "The algorithm chose Zone 2 for you. Keep it easy today.",
        "Keep it easy today.",
        1,
    ),
    ("invented-number", "Your FTP is 250 watts. Keep it easy today.", "Keep it easy today.", 1),
    ("grounded-number", "It is 45 minutes in Zone 2.", "It is 45 minutes in Zone 2.", 0),
    ("repeated", "Keep it easy. Keep it easy. Enjoy it!", "Keep it easy. Enjoy it!", 1),
    ("all-dropped", "The engine computed 250 watts.", "", 1),
]


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_guard_cases(case):
    _, text, expected, n_dropped = case
    result = guard_coach_text(text, context_text=CONTEXT, lang="en")
    assert result.text == expected
    assert len(result.dropped) == n_dropped


@settings(max_examples=150, deadline=None)
@given(st.text(), st.sampled_from(["en", "nl"]))
def test_guarded_text_never_leaks_and_never_raises(text, lang):
    result = guard_coach_text(text, context_text=CONTEXT, lang=lang)
    assert forbidden_words(result.text, lang).passed or not result.text
    assert grounded_numbers(result.text, CONTEXT).passed or not result.text


def test_non_text_is_empty():
    assert guard_coach_text(None, context_text=CONTEXT).text == ""  # type: ignore[arg-type]
