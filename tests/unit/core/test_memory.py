from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from josi.memory import (
    MAX_FACTS,
    MAX_NOTES,
    MAX_PATTERNS,
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
