from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from josi.governor import count_questions, govern, is_question, split_sentences


def test_guide_behaviour_keeps_last_question_at_the_end() -> None:
    text = "Zone 2 is easy. Why? It builds base. Ready? How do your legs feel?"
    assert govern(text) == "Zone 2 is easy. It builds base. How do your legs feel?"


def test_compliant_text_keeps_its_line_breaks() -> None:
    text = "Easy day.\n\nKeep it relaxed. How did you sleep?"
    assert govern(text) == text


@pytest.mark.parametrize(
    ("sentence", "question"),
    [
        ("Ready?!", True),
        ("Ready!?", True),
        ('"Ready?"', True),
        ("(Ready?)", True),
        ("Go.", False),
        ("Go", False),
    ],
)
def test_is_question(sentence: str, question: bool) -> None:
    assert is_question(sentence) is question


def test_split_keeps_abbreviations_and_decimals() -> None:
    assert split_sentences("Run e.g. Zone 2 today. Bijv. 4.5 km. Done!") == [
        "Run e.g. Zone 2 today.",
        "Bijv. 4.5 km.",
        "Done!",
    ]


def test_non_text_is_empty() -> None:
    assert govern(None) == ""  # type: ignore[arg-type]
    assert count_questions(None) == 0  # type: ignore[arg-type]


_sentence = st.builds(
    lambda words, end: " ".join(words).capitalize() + end,
    st.lists(
        st.sampled_from(
            ["zone", "two", "easy", "rust", "je", "benen", "e.g.", "bijv.", "4.5", "km"]
        ),
        min_size=1,
        max_size=6,
    ),
    st.sampled_from([".", "?", "!", "?!", "…", '?"', "."]),
)


@settings(max_examples=200, deadline=None)
@given(st.lists(_sentence, min_size=0, max_size=8))
def test_at_most_one_question_answer_first(sentences: list[str]) -> None:
    text = " ".join(sentences)
    out = govern(text)
    parts = split_sentences(out)
    assert count_questions(out) <= 1
    # answer first: a question can only be the last sentence
    assert all(not is_question(p) for p in parts[:-1])
    # nothing new is written and statements keep their order
    statements = [s for s in split_sentences(text) if not is_question(s)]
    assert [p for p in parts if not is_question(p)] == statements
    assert govern(out) == out


@settings(max_examples=150, deadline=None)
@given(st.text())
def test_never_raises(text: str) -> None:
    assert count_questions(govern(text)) <= max(1, count_questions(text))
