"""A balanced step budget: which rows a short budget trains on, per mode and stratum."""

from __future__ import annotations

from collections import Counter

import pytest

from josi._errors import ConfigError
from josi.training import load_profile
from josi.training._data import balanced_budget, stratum


def _interpreter(n: int, action: str, lang: str) -> list[dict]:
    return [
        {
            "id": f"i-{lang}-{action}-{i}",
            "mode": "interpreter",
            "lang": lang,
            "category": "multi_turn" if i % 2 else action,
            "expected": {"action": action},
        }
        for i in range(n)
    ]


def _coach(n: int, category: str, lang: str) -> list[dict]:
    return [
        {"id": f"c-{lang}-{category}-{i}", "mode": "coach", "lang": lang, "category": category}
        for i in range(n)
    ]


# Skewed like the real split: many English workouts and replies, few Dutch clarify rows.
ROWS = (
    _interpreter(300, "create_workout", "en")
    + _interpreter(60, "clarify", "en")
    + _interpreter(120, "create_workout", "nl")
    + _interpreter(8, "clarify", "nl")
    + _coach(200, "explain_session", "en")
    + _coach(50, "grounded_explain", "nl")
)


BOTH = ("interpreter", "coach")


def _strata(indices: list[int]) -> Counter:
    return Counter(stratum(ROWS[index]) for index in indices)


def test_the_interpreter_is_stratified_by_action_and_the_coach_by_category() -> None:
    assert stratum(ROWS[1]) == "interpreter:en:create_workout"  # not its category
    assert stratum(ROWS[-1]) == "coach:nl:grounded_explain"


def test_each_mode_keeps_its_share_of_the_budget() -> None:
    kept = balanced_budget(ROWS, 148, seed=0, balanced_modes=BOTH)
    assert len(kept) == len(set(kept)) == 148
    modes = Counter(ROWS[index]["mode"] for index in kept)
    assert modes == {"interpreter": 98, "coach": 50}  # 148 x 488/738 = 97.9, x 250/738 = 50.1


def test_strata_share_the_budget_equally_until_one_runs_out() -> None:
    strata = _strata(balanced_budget(ROWS, 148, seed=0, balanced_modes=BOTH))
    assert strata["interpreter:nl:clarify"] == 8  # all it has
    others = ("en:create_workout", "en:clarify", "nl:create_workout")
    assert [strata[f"interpreter:{name}"] for name in others] == [30, 30, 30]  # the other 90
    assert strata["coach:en:explain_session"] == strata["coach:nl:grounded_explain"] == 25


def test_a_budget_that_reaches_every_row_keeps_them_all() -> None:
    every = list(range(len(ROWS)))
    assert balanced_budget(ROWS, len(ROWS), seed=0, balanced_modes=BOTH) == every
    assert balanced_budget(ROWS, 10 * len(ROWS), seed=0, balanced_modes=BOTH) == every


def test_the_choice_is_a_pure_function_of_the_seed_in_the_split_order() -> None:
    first = balanced_budget(ROWS, 148, seed=3, balanced_modes=BOTH)
    assert first == sorted(first) == balanced_budget(ROWS, 148, seed=3, balanced_modes=BOTH)
    assert first != balanced_budget(ROWS, 148, seed=4, balanced_modes=BOTH)


def test_a_mode_left_out_gets_a_random_draw_of_its_share() -> None:
    kept = balanced_budget(ROWS, 148, seed=0, balanced_modes=("coach",))
    strata = _strata(kept)
    assert strata["coach:en:explain_session"] == strata["coach:nl:grounded_explain"] == 25
    interpreter = sum(n for key, n in strata.items() if key.startswith("interpreter:"))
    assert interpreter == 98
    # A random draw keeps the skew: far more English workouts than Dutch clarify rows.
    assert strata["interpreter:en:create_workout"] > 3 * strata["interpreter:nl:clarify"]


def test_the_balanced_modes_are_set_per_run() -> None:
    assert load_profile("nano", ["sft.balanced_modes=[]"]).sft.balanced_modes == ()
    profile = load_profile("nano", ["sft.balanced_modes=coach"])
    assert profile.sft.balanced_modes == ("coach",)


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        (
            ["sft.balanced_modes=chat"],
            r"sft.balanced_modes takes a subset of \('interpreter', 'coach'\)",
        ),
        (["sft.balanced_modes=coach", "sft.max_steps=-1"], "set sft.max_steps"),
    ],
    ids=["unknown-mode", "no-step-budget"],
)
def test_a_wrong_budget_setting_is_a_config_error(overrides: list[str], message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_profile("nano", overrides)
