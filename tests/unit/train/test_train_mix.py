"""Interpreter-weighted training mix: proportions, spread over categories, determinism."""

from __future__ import annotations

import pytest

from josi._errors import ConfigError
from josi.training import load_profile
from josi.training._data import mix_rows


def _rows(mode: str, n: int, categories: tuple[str, ...]) -> list[dict]:
    return [
        {"id": f"{mode}-{i}", "mode": mode, "category": categories[i % len(categories)]}
        for i in range(n)
    ]


INTERP = _rows("interpreter", 300, ("create_workout", "replan", "clarify"))
COACH = _rows("coach", 200, ("explain", "answer_question"))


@pytest.mark.parametrize("share", [0.6, 0.75, 0.9], ids=lambda s: f"share={s}")
def test_share_is_met_and_interpreter_rows_are_all_kept(share: float) -> None:
    mixed = mix_rows(INTERP + COACH, share, seed=0)
    n_interp = sum(row["mode"] == "interpreter" for row in mixed)
    assert n_interp == len(INTERP)
    assert n_interp / len(mixed) == pytest.approx(share, abs=0.01)


def test_a_low_share_subsamples_the_interpreter_instead() -> None:
    mixed = mix_rows(INTERP + COACH, 0.25, seed=0)
    assert sum(row["mode"] == "coach" for row in mixed) == len(COACH)
    assert sum(row["mode"] == "interpreter" for row in mixed) == round(len(COACH) * 0.25 / 0.75)


def test_kept_rows_are_spread_over_categories() -> None:
    mixed = mix_rows(INTERP + COACH, 0.9, seed=0)
    kept = [row["category"] for row in mixed if row["mode"] == "coach"]
    assert abs(kept.count("explain") - kept.count("answer_question")) <= 1


def test_the_mix_is_a_pure_function_of_the_seed() -> None:
    first = [row["id"] for row in mix_rows(INTERP + COACH, 0.8, seed=3)]
    assert first == [row["id"] for row in mix_rows(INTERP + COACH, 0.8, seed=3)]
    assert first != [row["id"] for row in mix_rows(INTERP + COACH, 0.8, seed=4)]


def test_zero_keeps_the_dataset_mix() -> None:
    assert mix_rows(INTERP + COACH, 0.0, seed=0) == INTERP + COACH


@pytest.mark.parametrize("share", [1.0, -0.2, 1.5], ids=lambda s: f"share={s}")
def test_an_impossible_share_is_a_config_error(share: float) -> None:
    with pytest.raises(ConfigError, match="interpreter_share"):
        load_profile("nano", [f"sft.interpreter_share={share}"])
    with pytest.raises(ConfigError, match="interpreter_share"):
        mix_rows(INTERP + COACH, share, seed=0)


def test_length_buckets_keep_modes_apart_and_mix_labels_across_batches() -> None:
    from josi.training._data import bucket_order

    lengths = [100 + (i % 40) for i in range(64)] + [300 + (i % 50) for i in range(32)]
    modes = ["interpreter"] * 64 + ["coach"] * 32
    order = bucket_order(lengths, modes, batch_size=8, seed=0)
    assert sorted(order) == list(range(96))
    batches = [order[i : i + 8] for i in range(0, 96, 8)]
    assert all(len({modes[i] for i in batch}) == 1 for batch in batches)
    assert all(max(lengths[i] for i in b) - min(lengths[i] for i in b) < 32 for b in batches)
    # Batches are shuffled: the order is not a walk from short to long.
    firsts = [
        min(lengths[i] for i in batch) for batch in batches if modes[batch[0]] == "interpreter"
    ]
    assert firsts != sorted(firsts) and firsts != sorted(firsts, reverse=True)
    assert order == bucket_order(lengths, modes, batch_size=8, seed=0)
