from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from josi.lang import detect_language

CASES = [
    ("What's my workout today?", "en"),
    ("Give me a 45-minute run", "en"),
    ("Can I skip today? My legs are sore.", "en"),
    ("Why so easy?", "en"),
    ("Wat is Zone 2?", "nl"),
    ("Ik voel me moe, kan ik vandaag overslaan?", "nl"),
    ("Geef me een training van 45 minuten", "nl"),
    ("Waarom zo rustig?", "nl"),
    ("Mag ik morgen harder?", "nl"),
    ("Hoi", "nl"),
    ("duizelig", "nl"),
    ("hartkloppingen", "nl"),
]


@pytest.mark.parametrize(("text", "lang"), CASES, ids=[c[0] for c in CASES])
def test_short_messages(text: str, lang: str) -> None:
    assert detect_language(text) == lang


def test_undecidable_text_uses_default() -> None:
    assert detect_language("Zone 2?", default="nl") == "nl"
    assert detect_language("Zone 2?", default="en") == "en"
    assert detect_language("", default="nl") == "nl"


def test_bad_default_is_an_error() -> None:
    with pytest.raises(ValueError):
        detect_language("hi", default="de")


@settings(max_examples=150, deadline=None)
@given(st.text())
def test_always_en_or_nl(text: str) -> None:
    assert detect_language(text) in ("en", "nl")
