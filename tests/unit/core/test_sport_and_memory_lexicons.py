"""The sport and memory vocabularies are data (knowledge sports.json, memory.toml) read by the
sport detector, memory extraction and the data generator alike."""

from __future__ import annotations

import pytest

from josi.knowledge import memory_lexicon, sports
from josi.memory import extract_memory
from josi.postprocess import SPORTS, find_sports, normalize_sport

NOW = "2026-02-20T08:00:00Z"
TABLE = sports()["sports"]
MENTIONS = [
    (sport, lang, word)
    for sport in SPORTS
    for lang in ("en", "nl")
    for word in TABLE[sport]["mentions"][lang]
]
ATHLETES = [
    (TABLE[sport]["memory_name"], lang, noun)
    for sport in SPORTS
    if "memory_name" in TABLE[sport]
    for lang in ("en", "nl")
    for noun in TABLE[sport]["athletes"][lang]
]
ATHLETES += [
    (kind, lang, noun)
    for kind, spec in TABLE["other"]["kinds"].items()
    for lang in ("en", "nl")
    for noun in spec["athletes"][lang]
]
I_AM = {"en": "I'm a {}.", "nl": "Ik ben {}."}


def sport_facts(text: str) -> list[str]:
    memory = extract_memory([text], now=NOW)
    return [f["fact"] for f in memory["key_facts"] if f["category"] == "sport"]


def test_the_detector_enum_is_the_lexicon_order() -> None:
    assert tuple(sports()["order"]) == SPORTS


@pytest.mark.parametrize("sport", SPORTS)
def test_every_sport_has_english_and_dutch_mentions(sport: str) -> None:
    assert TABLE[sport]["mentions"]["en"] and TABLE[sport]["mentions"]["nl"]


@pytest.mark.parametrize(("sport", "lang", "word"), MENTIONS, ids=lambda v: str(v))
def test_every_mention_is_detected_as_its_sport(sport: str, lang: str, word: str) -> None:
    assert normalize_sport(f"did some {word} today") == sport


@pytest.mark.parametrize(
    "text", ["my head is spinning, can I still run?", "the room keeps spinning"]
)
def test_dizziness_is_not_an_indoor_ride(text: str) -> None:
    assert "bike" not in find_sports(text)


@pytest.mark.parametrize("text", ["I did a workout", "Ik heb getraind", "a skateboard trick"])
def test_messages_without_a_sport_word_name_no_sport(text: str) -> None:
    assert find_sports(text) == ()


def test_athlete_nouns_exist_in_both_languages() -> None:
    assert {lang for _, lang, _ in ATHLETES} == {"en", "nl"}
    assert set(memory_lexicon()["sport"]["athlete"]) == {"en", "nl"}


@pytest.mark.parametrize(("name", "lang", "noun"), ATHLETES, ids=lambda v: str(v))
def test_every_athlete_noun_names_the_primary_sport(name: str, lang: str, noun: str) -> None:
    assert sport_facts(I_AM[lang].format(noun)) == [f"Primary sport: {name}"]


@pytest.mark.parametrize("text", ["I'm a teacher.", "Ik ben leraar.", "I'm a rower."])
def test_other_nouns_name_no_sport(text: str) -> None:
    assert sport_facts(text) == []


@pytest.mark.parametrize(
    ("text", "fact"),
    [
        ("I also swim", "Also does swimming"),
        ("Ik zwem ook", "Also does swimming"),
        ("I also do strength", "Also does strength training"),
        ("Ik loop ook", "Also does running"),
        ("My main sport is triathlon", "Primary sport: triathlon"),
        ("Mijn sport is roeien", "Primary sport: rowing"),
    ],
)
def test_sport_verbs_and_names_in_both_languages(text: str, fact: str) -> None:
    assert sport_facts(text) == [fact]


@pytest.mark.parametrize(
    ("text", "fact"),
    [
        ("I always skip Mondays", "Often skips Monday sessions"),
        ("Ik sla vaak de woensdag over", "Often skips Wednesday sessions"),
        ("I train three times a week", "Trains 3 times a week"),
        ("Ik train vier keer per week", "Trains 4 times a week"),
    ],
)
def test_memory_patterns_read_both_languages(text: str, fact: str) -> None:
    assert extract_memory([text], now=NOW)["patterns"] == [fact]


@pytest.mark.parametrize("text", ["I skipped Monday once", "Ik train soms"])
def test_one_off_statements_are_no_pattern(text: str) -> None:
    assert extract_memory([text], now=NOW)["patterns"] == []
