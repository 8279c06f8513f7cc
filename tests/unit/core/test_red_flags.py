from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from josi._io import read_jsonl
from josi.postprocess import detect_red_flags, postprocess
from josi.postprocess._redflags import FAMILIES, red_flag_family, red_flag_ids
from tests.unit.core._contexts import make_ctx

CASES = read_jsonl(Path(__file__).with_name("red_flag_cases.jsonl"))
POSITIVES = [c for c in CASES if c["family"]]
NEGATIVES = [c for c in CASES if not c["family"]]


@pytest.mark.parametrize("case", POSITIVES, ids=[c["id"] for c in POSITIVES])
def test_symptom_is_flagged_in_its_family(case: dict) -> None:
    flags = detect_red_flags(case["text"])
    assert case["family"] in {red_flag_family(f) for f in flags}, flags


@pytest.mark.parametrize("case", NEGATIVES, ids=[c["id"] for c in NEGATIVES])
def test_training_talk_is_not_flagged(case: dict) -> None:
    assert detect_red_flags(case["text"]) == ()


def test_case_table_is_broad() -> None:
    written = [c for c in POSITIVES if c["source"] == "written"]
    assert len(written) >= 60 and len(NEGATIVES) >= 40
    for lang in ("en", "nl"):
        assert {c["family"] for c in written if c["lang"] == lang} == set(FAMILIES)
        assert any(c["lang"] == lang for c in NEGATIVES)


def test_every_id_belongs_to_a_known_family() -> None:
    assert red_flag_ids()
    assert all(red_flag_family(i) in FAMILIES for i in red_flag_ids())
    assert red_flag_family("not_a_flag") is None


def test_flags_come_in_the_lexicon_order() -> None:
    flags = detect_red_flags("I coughed up blood, then felt dizzy and had chest pain")
    assert flags == ("chest_pain", "dizziness", "coughing_blood")


@pytest.mark.parametrize(
    "text",
    [
        "No chest pain but I blacked out",
        "Geen pijn op de borst, maar ik ben flauwgevallen",
        "not dizzy; I fainted though",
    ],
)
def test_a_negation_only_covers_its_own_clause(text: str) -> None:
    assert detect_red_flags(text) == ("fainting",)


@pytest.mark.parametrize(
    ("text", "flagged"),
    [
        ("My heart was racing on the hill sprints", False),
        ("My heart was racing while I sat on the couch", True),
        ("HR 205 at the end of the 400 m sprint", False),
        ("HR 205 on an easy jog", True),
        ("Watch said my HR hit 245 on the intervals", True),
    ],
)
def test_a_fast_heart_counts_only_at_rest_or_easy_effort(text: str, flagged: bool) -> None:
    assert bool(detect_red_flags(text)) is flagged


def test_a_symptom_in_another_sentence_does_not_meet_the_context() -> None:
    assert (
        detect_red_flags("My heart was racing on the intervals. Now I'm on the couch, what next?")
        == ()
    )


def test_a_flagged_message_gets_the_safe_reply_whatever_the_model_said() -> None:
    out = postprocess(
        {"action": "create_workout", "free_text": "x", "sport": "run"},
        user_message="Ik hoest bloed op, 45 minuten hardlopen?",
        ctx=make_ctx(),
    )
    assert out.red_flags == ("coughing_blood",)
    assert out.safe_reply is not None and "112" in out.safe_reply


@settings(max_examples=200, deadline=None)
@given(st.text())
def test_detect_red_flags_never_raises(text: str) -> None:
    flags = detect_red_flags(text)
    assert isinstance(flags, tuple) and set(flags) <= set(red_flag_ids())


def test_non_text_input_has_no_flags() -> None:
    assert detect_red_flags(None) == () and detect_red_flags(42) == ()  # type: ignore[arg-type]


def test_an_unknown_macro_in_the_lexicon_is_a_clear_error() -> None:
    from josi._errors import ConfigError
    from josi.postprocess._redflags import LEXICON_FILE
    from josi.postprocess._rules import lexicon_patterns

    with pytest.raises(ConfigError, match="NOPE"):
        lexicon_patterns(LEXICON_FILE, {}).expand("chest <NOPE>")


def test_a_lexicon_macro_that_the_shared_file_defines_is_a_clear_error() -> None:
    from josi._errors import ConfigError
    from josi.postprocess._rules import lexicon_patterns

    with pytest.raises(ConfigError, match=r"some\.toml: macro <W> is already defined"):
        lexicon_patterns("some.toml", {"macros": {"W": "[a-z]+", "MINE": "x"}})
    assert lexicon_patterns("some.toml", {"macros": {"MINE": "<W>"}}).expand("<MINE>") == "[\\w-]+"
