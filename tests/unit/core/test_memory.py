from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from josi.memory import (
    MAX_FACTS,
    MAX_NOTES,
    MAX_PATTERNS,
    current_memory,
    extract_memory,
    fact_key,
    memory_errors,
    render_memory,
)
from josi.prompting import estimate_tokens

NOW = "2026-02-20T08:00:00Z"


def facts(memory: dict) -> list[str]:
    return [f["fact"] for f in memory["key_facts"]]


def test_english_extraction() -> None:
    memory = extract_memory(
        [
            "I'm a runner. I prefer training in the morning.",
            "I have an old knee injury.",
            "I'm training for a half marathon in April.",
            "I usually have 45-60 minutes on weekdays.",
        ],
        now=NOW,
    )
    assert facts(memory) == [
        "Primary sport: running",
        "Prefers morning sessions",
        "Has knee issue (old injury)",
        "Goal: half marathon (April)",
        "Typical availability: 45-60 minutes",
    ]
    assert not memory_errors(memory)


def test_dutch_extraction() -> None:
    memory = extract_memory(
        [
            "Ik ben een wielrenner en ik werk in ploegendienst.",
            "Ik heb last van mijn knie.",
            "Ik train het liefst 's avonds.",
            "Mijn doel is de Elfstedentocht.",
        ],
        now=NOW,
    )
    assert facts(memory) == [
        "Primary sport: cycling",
        "Works shifts",
        "Has knee issue",
        "Prefers evening sessions",
        "Goal: Elfstedentocht",
    ]


def test_newer_statement_wins() -> None:
    first = extract_memory(["I prefer mornings."], now="2026-01-01T00:00:00Z")
    second = extract_memory(["I prefer evenings now."], existing=first, now=NOW)
    assert facts(second) == ["Prefers evening sessions"]
    assert second["key_facts"][0]["learned_at"] == NOW


def test_repeated_fact_gains_confidence_once_per_mention() -> None:
    once = extract_memory(["I'm a runner."], now=NOW)
    twice = extract_memory(["I'm a runner."], existing=once, now=NOW)
    assert twice["key_facts"][0]["confidence"] > once["key_facts"][0]["confidence"]
    assert len(twice["key_facts"]) == 1


def test_only_athlete_turns_are_read() -> None:
    memory = extract_memory(
        [
            {"role": "assistant", "message": "I'm a runner."},
            {"role": "user", "content": "I'm a cyclist."},
        ],
        now=NOW,
    )
    assert facts(memory) == ["Primary sport: cycling"]


def test_fact_keys() -> None:
    assert fact_key("Has knee issue (old injury)") == fact_key("Knee issue resolved")
    assert fact_key("Prefers morning sessions") == fact_key("Prefers evening sessions")
    assert fact_key("Primary sport: running") == fact_key("Primary sport: cycling")
    assert fact_key("Has children") != fact_key("Busy job")


def test_a_fact_in_its_own_words_shares_the_key_the_extractor_would_give_it() -> None:
    # memory written elsewhere: a time of day the extractor's slots name, a label naming a goal
    time_of_day = fact_key("Prefers morning sessions")
    for text in (
        "Runs after work these days",
        "Fietst het liefst tussen de middag",
        "Traint ’s avonds",
    ):
        assert fact_key(text) == time_of_day, text
    for text in (
        "Goal: marathon (April)",
        "New goal: gravel race",
        "Nieuw doel: Ironman",
        "Hoofddoel: 10K",
        "Goal changed: sportive",
        "Doel nu: hele marathon",
    ):
        assert fact_key(text) == "goal", text
    # a label, an injury or no time word keeps its own key
    for text in (
        "Long run day: Sunday morning",
        "Has knee issue after evening runs",
        "Sore knee after evening runs",
        "Knie doet 's ochtends pijn",
        "Works shifts, runs after work",
        "Works night shifts some weeks",
        "Wants to lose weight",
        "Goalkeeper on Saturdays",
        "Goal pace: 4:30 per km",
        "Goal weight: 70 kg",
        "Doeltijd: 3 uur 30",
    ):
        assert fact_key(text) not in (time_of_day, "goal"), text


def test_render_drops_lowest_confidence_first() -> None:
    memory = {
        "key_facts": [
            {"fact": "Alpha fact", "source": "conversation", "confidence": 0.9, "learned_at": NOW},
            {"fact": "Beta fact", "source": "conversation", "confidence": 0.6, "learned_at": NOW},
            {"fact": "Gamma fact", "source": "conversation", "confidence": 0.8, "learned_at": NOW},
        ],
        "patterns": ["Pattern one"],
    }
    assert (
        render_memory(memory) == "MEMORY:\n- Alpha fact\n- Beta fact\n- Gamma fact\n- Pattern one\n"
    )
    small = render_memory(
        memory, max_tokens=estimate_tokens("MEMORY:\n- Alpha fact\n- Gamma fact\n")
    )
    assert small == "MEMORY:\n- Alpha fact\n- Gamma fact\n"
    assert render_memory(memory, max_tokens=3) == ""
    assert render_memory(None) == ""


_statements = st.lists(
    st.sampled_from(
        [
            "I'm a runner.",
            "Ik ben een schaatser.",
            "I prefer mornings.",
            "Ik train het liefst 's avonds.",
            "My knee hurts.",
            "My knee is fine now.",
            "Ik heb last van mijn enkel.",
            "I have kids.",
            "I travel a lot for work.",
            "I'm training for a marathon in May.",
            "Ik wil afvallen.",
            "I always go out too hard.",
            "I train 3 times a week.",
            "Ik train 5 keer per week.",
            "Keep it short.",
            "I love data.",
            "I need motivation.",
            "I always skip Mondays.",
            "I usually have 45 minutes.",
            "Ik fiets ook.",
            "random words",
            "",
        ]
    ),
    max_size=30,
)


@settings(max_examples=150, deadline=None)
@given(st.lists(_statements, min_size=1, max_size=4), st.lists(st.text(max_size=60), max_size=3))
def test_memory_always_valid_and_capped(sessions: list[list[str]], noise: list[str]) -> None:
    memory: dict | None = None
    for turns in sessions:
        memory = extract_memory(turns + noise, existing=memory, now=NOW)
        assert not memory_errors(memory)
        assert len(memory["key_facts"]) <= MAX_FACTS
        assert len(memory["patterns"]) <= MAX_PATTERNS
        assert len(memory["coaching_notes"]) <= MAX_NOTES
        keys = [fact_key(f) for f in facts(memory)]
        assert len(keys) == len(set(keys))


@settings(max_examples=100, deadline=None)
@given(_statements, st.integers(min_value=0, max_value=400))
def test_render_respects_its_budget(turns: list[str], budget: int) -> None:
    memory = extract_memory(turns, now=NOW)
    block = render_memory(memory, max_tokens=budget)
    assert block == "" or (block.startswith("MEMORY:\n") and estimate_tokens(block) <= budget)


def test_many_facts_keep_the_strongest() -> None:
    existing = {
        "key_facts": [
            {
                "fact": f"Fact {i}",
                "source": "behavior",
                "confidence": 0.5 + i / 100,
                "learned_at": "2026-01-01T00:00:00Z",
            }
            for i in range(MAX_FACTS)
        ]
    }
    memory = extract_memory(["I'm a runner."], existing=existing, now=NOW)
    assert len(memory["key_facts"]) == MAX_FACTS
    assert "Fact 0" not in facts(memory) and "Primary sport: running" in facts(memory)


def _fact(text: str, learned_at: str, confidence: float = 0.9) -> dict:
    return {
        "fact": text,
        "category": "general",
        "source": "conversation",
        "confidence": confidence,
        "learned_at": learned_at,
    }


def test_current_memory_keeps_the_newer_of_two_facts_about_one_thing() -> None:
    old = _fact("Weekly volume: 30 km", "2026-01-05T08:00:00Z", 0.95)
    other = _fact("Prefers morning sessions", "2026-01-06T08:00:00Z")
    new = _fact("Weekly volume: 45 km", "2026-02-10T08:00:00Z", 0.7)
    memory = {"key_facts": [old, other, new], "patterns": ["Skips Mondays"]}
    current = current_memory(memory)
    assert current["key_facts"] == [other, new]
    assert current["patterns"] == ["Skips Mondays"]
    assert memory["key_facts"] == [old, other, new]  # the input is not changed
    assert "30 km" not in render_memory(current)


def test_current_memory_reads_times_as_times_and_ties_by_stored_order() -> None:
    # 07:00 UTC, though it reads later as text than the 07:30 UTC below
    injured = _fact("Has knee issue", "2026-02-10T08:00:00+01:00")
    resolved = _fact("Knee issue resolved", "2026-02-10T07:30:00Z")
    assert current_memory({"key_facts": [resolved, injured]})["key_facts"] == [resolved]
    first = _fact("Goal: 10k under 50", NOW)
    second = _fact("Goal: half marathon", NOW)
    assert current_memory({"key_facts": [first, second]})["key_facts"] == [second]
    unknown = {**first, "learned_at": "last spring"}
    assert current_memory({"key_facts": [second, unknown]})["key_facts"] == [second]


def test_current_memory_returns_memory_without_a_superseded_fact_as_it_was() -> None:
    memory = extract_memory(["I'm a runner. I prefer training in the morning."], now=NOW)
    assert current_memory(memory) is memory
    for odd in (None, {}, {"key_facts": None}, {"key_facts": [{"fact": ""}, "text"]}, "x"):
        assert current_memory(odd) is odd
