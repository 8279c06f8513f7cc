from __future__ import annotations

import json
import random
from collections import defaultdict
from dataclasses import replace
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from josi._errors import ContractError
from josi.contracts import (
    context_errors,
    dumps_request,
    generation_schema,
    key_order,
    request_errors,
)
from josi.data import (
    BuildConfig,
    compute_stats,
    dataset_hash,
    load_split,
    recorded_hash,
    write_dataset,
)
from josi.data import _coach as coach_scenarios
from josi.data._build import _coach_rows
from josi.data._coach import ENGINE_RESULT_CATEGORIES
from josi.data._hygiene import row_key
from josi.data._messages import visible_text
from josi.data._templates import templates
from josi.knowledge import zones
from josi.lang import detect_language
from josi.memory import fact_key
from josi.scorers import coach_checks, failures, newer_fact

from .conftest import SMALL

SPLITS = ("train", "val", "test")
FILES = [f"{m}.{s}.jsonl" for m in ("interpreter", "coach") for s in SPLITS] + [
    "preferences.train.jsonl",
    "preferences.val.jsonl",
    "stats.json",
    "DATA_CARD.md",
    "dataset.sha256",
]
EXPECT = {"i6_refusal": ("i6_refusal",), "unrealistic_goal": ("pushback",)}


def rows(directory: Path, mode: str) -> list[dict]:
    return [r for s in SPLITS for r in load_split(directory, mode, s)]


def test_writes_every_file(small_dataset: Path) -> None:
    for name in FILES:
        assert (small_dataset / name).is_file(), name


def test_same_seed_gives_identical_bytes(small_dataset: Path, tmp_path: Path) -> None:
    write_dataset(tmp_path, SMALL)
    for name in FILES:
        assert (tmp_path / name).read_bytes() == (small_dataset / name).read_bytes(), name
    assert dataset_hash(tmp_path) == dataset_hash(small_dataset)


def test_runs_record_the_dataset_hash_not_a_file_hash(small_dataset: Path) -> None:
    from josi.training._data import data_hash

    assert recorded_hash(small_dataset) == dataset_hash(small_dataset)
    assert data_hash(small_dataset, []) == dataset_hash(small_dataset)


def test_other_seed_gives_other_data(small_dataset: Path, tmp_path: Path) -> None:
    write_dataset(tmp_path, BuildConfig(seed=SMALL.seed + 1, scale=SMALL.scale))
    assert dataset_hash(tmp_path) != dataset_hash(small_dataset)


def test_interpreter_targets_are_canonical_schema_and_grammar_valid(small_dataset: Path) -> None:
    grammar_schema = Draft202012Validator(generation_schema())
    for row in rows(small_dataset, "interpreter"):
        expected = row["expected"]
        assert request_errors(expected) == [], row["id"]
        assert not list(grammar_schema.iter_errors(expected)), row["id"]
        assert row["completion"] == dumps_request(expected)
        assert json.loads(row["completion"]) == expected
        assert "confidence" in expected
        assert expected["free_text"] == row["user"]
        order = key_order(expected["action"])
        assert list(expected) == [k for k in order if k in expected]
        assert row["interpreter_output"] is None


def test_coach_rows_carry_the_interpreter_output(small_dataset: Path) -> None:
    for row in rows(small_dataset, "coach"):
        request = json.loads(row["interpreter_output"])
        assert request_errors(request) == []
        assert row["interpreter_output"] == dumps_request(request)
        assert request["action"] in ("explain", "answer_question")
        assert row["expected"] is None
        assert row["messages"][-1]["content"].endswith(
            "[INTERPRETER]\n" + row["interpreter_output"]
        )


def test_contexts_are_schema_valid_and_messages_well_formed(small_dataset: Path) -> None:
    for mode in ("interpreter", "coach"):
        for row in rows(small_dataset, mode):
            assert context_errors(row["context"]) == [], row["id"]
            messages = row["messages"]
            assert messages[0]["role"] == "system" and messages[-1]["role"] == "user"
            assert [m["role"] for m in messages[1:-1]] == [t["role"] for t in row["history"]]
            assert messages[-1]["content"].startswith(row["user"] + "\n\nCONTEXT:\n")


def test_every_coach_reply_passes_the_scorers(small_dataset: Path) -> None:
    for row in rows(small_dataset, "coach"):
        scores = coach_checks(
            row["completion"],
            persona=row["persona"],
            lang=row["lang"],
            context_text=visible_text(row["messages"]),
            memory=row["context"].get("memory"),
            gatc_result=row["context"].get("gatc_result"),
            expect=EXPECT.get(row["category"], ()),
            red_flag=row["category"] == "red_flag",
        )
        assert not failures(scores), (row["id"], row["completion"], failures(scores))


def test_preference_pairs_prefer_the_passing_reply(small_dataset: Path) -> None:
    pairs = [p for s in ("train", "val") for p in load_split(small_dataset, "preferences", s)]
    assert {p["category"] for p in pairs} == {
        "invented_numbers",
        "jargon",
        "too_long",
        "too_many_questions",
        "deflection",
        "internals",
        "generic_when_grounded",
        "robotic_memory",
    }
    for pair in pairs:
        ctx = pair["context"]
        args = dict(
            persona=pair["persona"],
            lang=pair["lang"],
            context_text=visible_text(pair["messages"]),
            memory=ctx.get("memory"),
            gatc_result=ctx.get("gatc_result"),
        )
        assert not failures(coach_checks(pair["chosen"], **args)), pair["id"]
        assert failures(coach_checks(pair["rejected"], **args)), pair["id"]
        assert pair["chosen"] != pair["rejected"]


def test_no_duplicates(small_dataset: Path) -> None:
    for mode in ("interpreter", "coach"):
        keys = [row_key(r) for r in rows(small_dataset, mode)]
        assert len(keys) == len(set(keys))
        ids = [r["id"] for r in rows(small_dataset, mode)]
        assert len(ids) == len(set(ids))


def test_no_group_or_message_crosses_splits(small_dataset: Path) -> None:
    split_of_group: dict[str, set[str]] = defaultdict(set)
    split_of_message: dict[tuple[str, str], set[str]] = defaultdict(set)
    for mode in ("interpreter", "coach"):
        for split in SPLITS:
            for row in load_split(small_dataset, mode, split):
                split_of_group[row["group"]].add(split)
                split_of_message[(mode, row["user"])].add(split)
    assert all(len(s) == 1 for s in split_of_group.values())
    crossing = [m for m, s in split_of_message.items() if len(s) > 1]
    assert not crossing
    test_groups = {g for g, s in split_of_group.items() if s == {"test"}}
    for split in ("train", "val"):
        for pair in load_split(small_dataset, "preferences", split):
            assert pair["group"] not in test_groups


def test_every_split_is_populated(small_dataset: Path) -> None:
    for mode in ("interpreter", "coach"):
        for split in SPLITS:
            assert len(load_split(small_dataset, mode, split)) > 0


def test_dutch_rows_are_dutch(small_dataset: Path) -> None:
    for row in rows(small_dataset, "coach"):
        assert detect_language(row["completion"]) == row["lang"], row["completion"]
    inter = rows(small_dataset, "interpreter")
    dutch = [r for r in inter if r["lang"] == "nl"]
    agree = sum(detect_language(r["user"]) == "nl" for r in dutch) / len(dutch)
    assert agree >= 0.9


def test_coverage(small_dataset: Path) -> None:
    inter, coach = rows(small_dataset, "interpreter"), rows(small_dataset, "coach")
    assert {r["expected"]["action"] for r in inter} == {
        "create_workout",
        "replan",
        "explain",
        "answer_question",
        "clarify",
    }
    assert {
        r["expected"].get("replan_type") for r in inter if r["expected"]["action"] == "replan"
    } == {
        "skip_today",
        "swap_days",
        "reschedule",
        "reduce_intensity",
        "illness",
        "travel",
        "goal_change",
    }
    assert {
        tuple(r["expected"]["missing"]) for r in inter if r["expected"]["action"] == "clarify"
    } >= {("sport",), ("intent",)}
    assert {r["expected"]["confidence"] for r in inter} >= {0.3, 0.6, 0.9, 0.95}
    zones = {t for r in coach for t in r["tags"] if t.startswith("zone_")}
    assert zones == {f"zone_{z}" for z in ("R", "Z1", "Z2", "Z3", "Z4", "Z5", "Z6", "Z7", "Z8")}
    levels = {r["context"]["readiness"]["level"] for r in coach}
    assert {"Green", "Orange", "Red"} <= levels and levels & {"Yellow", "Amber"}
    for mode_rows in (inter, coach):
        assert {r["persona"] for r in mode_rows} == {
            "balanced",
            "direct",
            "technical",
            "encouraging",
        }
        assert {r["context"]["tier"] for r in mode_rows} >= {"advisor", "coach"}
    assert any("sport_override" in r["tags"] for r in inter)
    assert any(
        r["expected"]["action"] == "create_workout"
        and "memory" in r["context"]
        and "profile_summary" not in r["context"]
        for r in inter
    )


def test_ratio_bounds(small_dataset: Path) -> None:
    stats = compute_stats(small_dataset)
    for mode in ("interpreter", "coach"):
        ratios = stats["modes"][mode]["ratios"]
        assert ratios["dutch"] >= 0.2
        assert ratios["multi_turn"] >= 0.1
    assert 0.15 <= stats["modes"]["coach"]["ratios"]["i6_refusal"] <= 0.25
    words = stats["modes"]["coach"]["completion_words"]
    assert words["min"] >= 25 and words["max"] <= 70


def test_stats_card_and_hash_agree(small_dataset: Path) -> None:
    digest = dataset_hash(small_dataset)
    stats = json.loads((small_dataset / "stats.json").read_text(encoding="utf-8"))
    assert stats["dataset_hash"] == digest
    assert digest in (small_dataset / "DATA_CARD.md").read_text(encoding="utf-8")
    assert (
        (small_dataset / "dataset.sha256")
        .read_text(encoding="utf-8")
        .rstrip()
        .endswith(f"{digest}  dataset")
    )


def test_cli_stats_prints_the_hash(small_dataset: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from josi.data.__main__ import main

    assert main(["stats", str(small_dataset)]) == 0
    assert dataset_hash(small_dataset) in capsys.readouterr().out


def test_load_split_rejects_bad_input(tmp_path: Path) -> None:
    with pytest.raises(ContractError):
        load_split(tmp_path, "explainer", "train")
    with pytest.raises(ContractError):
        load_split(tmp_path, "preferences", "test")
    with pytest.raises(ContractError):
        load_split(tmp_path, "coach", "train")
    with pytest.raises(ContractError):
        dataset_hash(tmp_path)


def test_engine_results_reach_every_question_about_today(small_dataset: Path) -> None:
    coach = rows(small_dataset, "coach")
    for category in ENGINE_RESULT_CATEGORIES:
        carrying = [
            r for r in coach if r["category"] == category and r["context"].get("gatc_result")
        ]
        plain = [
            r for r in coach if r["category"] == category and not r["context"].get("gatc_result")
        ]
        assert carrying and plain, category
        for row in carrying:
            assert "gatc_result" in row["tags"], row["id"]
            # Naming the workout, not just sharing two words with the result.
            assert row["context"]["gatc_result"]["workout_summary"] in row["completion"], row["id"]
            assert "GATC RESULT:" in row["messages"][-1]["content"], row["id"]


def test_held_out_results_come_with_other_questions(small_dataset: Path) -> None:
    held_out = [
        r for r in load_split(small_dataset, "coach", "test") if r["context"].get("gatc_result")
    ]
    assert {r["category"] for r in held_out} - {"grounded_explain"}


def test_results_change_only_the_rows_that_carry_them() -> None:
    without, _ = _coach_rows(replace(SMALL, engine_result_share=0.0))
    assert {r["category"] for r in without if r["context"].get("gatc_result")} == {
        "grounded_explain"
    }
    with_results, _ = _coach_rows(SMALL)
    assert len(with_results) == len(without)
    changed = 0
    for plain, row in zip(without, with_results, strict=True):
        assert (row["group"], row["user"]) == (plain["group"], plain["user"])
        if "gatc_result" in row["tags"] and row["category"] != "grounded_explain":
            changed += 1
        else:
            assert row == plain, row["group"]
    assert changed


def test_a_result_is_attached_only_to_questions_about_today() -> None:
    scenario = coach_scenarios.zone_question(random.Random(0), "en", "Z2")
    with pytest.raises(ValueError, match="zone_question"):
        coach_scenarios.attach_engine_result(random.Random(0), scenario)


def test_memory_update_rows_show_both_facts_and_follow_the_newer() -> None:
    updates = templates("coach")["memory_updates"]
    config = BuildConfig(
        seed=7, coach_quotas={"explain_session": 41, "memory_tips": 1}, memory_update_rows=40
    )
    made, _rejected = _coach_rows(config)
    found = [r for r in made if r["category"] == "memory_update"]
    assert len(found) >= 36 and {r["lang"] for r in found} == {"en", "nl"}
    for row in found:
        kind = coach_scenarios.memory_update_kind(row)
        update, lang = updates[kind], row["lang"]
        facts = row["context"]["memory"]["key_facts"]
        older = next(i for i, f in enumerate(facts) if f["fact"] == update["old"][lang])
        newer = next(i for i, f in enumerate(facts) if f["fact"] in update["new"][lang])
        assert older < newer and facts[older]["learned_at"] < facts[newer]["learned_at"]
        # the runtime keeps both (they describe one thing in words a key cannot match), so the
        # prompt shows the conflict the reply has to settle
        prompt = row["messages"][-1]["content"]
        assert prompt.index(facts[older]["fact"]) < prompt.index(facts[newer]["fact"]), row["id"]
        assert coach_scenarios.outdated_words(row) == update["avoid"][lang]
        assert newer_fact(row["completion"], update["avoid"][lang]).passed, row["id"]
    assert coach_scenarios.outdated_words({**found[0], "category": "memory_use"}) is None


def test_memory_update_rows_come_out_of_explain_session_and_are_off_by_default() -> None:
    assert "memory_update" not in BuildConfig().coach_plan()
    assert BuildConfig().coach_plan() == BuildConfig().coach_quotas
    plan = BuildConfig(memory_update_rows=140).coach_plan()
    assert plan["memory_update"] == 140
    assert plan["explain_session"] == BuildConfig().coach_quotas["explain_session"] - 140
    assert sum(plan.values()) == sum(BuildConfig().coach_quotas.values())
    # generated right after memory_tips, so a build's row order does not depend on dict edits
    kinds = list(plan)
    assert kinds.index("memory_update") == kinds.index("memory_tips") + 1
    for bad in (-1, BuildConfig().coach_quotas["explain_session"]):
        with pytest.raises(ContractError, match="memory_update_rows"):
            BuildConfig(memory_update_rows=bad).coach_plan()


def test_memory_update_outdated_words_occur_in_no_other_reply_sentence() -> None:
    """A word that the session lead or a zone sentence may say would fail a reply that follows
    the newer fact ("druk" inside "nadruk")."""
    coach = templates("coach")
    for lang in ("en", "nl"):
        shared = [*coach["session"][lang]["lead"], *coach["grounded"][lang]["lead"]]
        for spec in zones()["zones"].values():
            shared += [
                line for key in ("meaning", "feel", "use", "safety") for line in spec[key][lang]
            ]
        for kind, update in coach["memory_updates"].items():
            for line in shared:
                assert newer_fact(line, update["avoid"][lang]).passed, (kind, lang, line)


def test_memory_update_templates_are_consistent() -> None:
    for kind, update in templates("coach")["memory_updates"].items():
        for lang in ("en", "nl"):
            assert not newer_fact(update["old"][lang], update["avoid"][lang]).passed, kind
            for line in (*update["use"][lang], *update["new"][lang]):
                assert newer_fact(line, update["avoid"][lang]).passed, (kind, lang, line)
            for new in update["new"][lang]:
                assert fact_key(new) != fact_key(update["old"][lang]), (kind, new)
