"""Recipes over several runs: per-arm spread, seed-to-seed flips, a permutation test over runs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from benchmarks.recipe_spread import compare, main, permutation_p, run_scores

IDS = [f"r{i}" for i in range(10)]
LANGS = ["en"] * 6 + ["nl"] * 4


def _interpreter(right: list[bool], against_right: list[bool] | None = None) -> dict:
    """An interpreter_heldout result whose first model is right on the rows marked True."""
    against_right = against_right or [False] * len(right)
    rows = []
    for row_id, lang, first, second in zip(IDS, LANGS, right, against_right, strict=True):
        models = [
            {view: "replan" if ok else "explain" for view in ("model", "served")}
            for ok in (first, second)
        ]
        rows.append({"id": row_id, "lang": lang, "expected": "replan", "models": models})
    return {"models": [{}, {}], "paired_action": {}, "rows": rows}


def _coach(passed: list[bool]) -> dict:
    rows = [
        {
            "id": row_id,
            "lang": lang,
            "model": {"coach_checks_pass": ok},
            "against": {"coach_checks_pass": True},
        }
        for row_id, lang, ok in zip(IDS, LANGS, passed, strict=True)
    ]
    return {"summary": {}, "rows": rows}


def _right(n: int, start: int = 0) -> list[bool]:
    return [start <= i < start + n for i in range(len(IDS))]


def test_each_arm_reports_its_runs_spread_and_how_different_two_seeds_look() -> None:
    runs = [run_scores(_interpreter(_right(n)), against=False) for n in (9, 5)]
    arm = compare({"recipe": runs})["arms"]["recipe"]
    served = arm["served"]
    assert served["all"] == {"runs": [0.9, 0.5], "mean": 0.7, "sd": 0.2828, "range": 0.4}
    assert served["en"]["runs"] == [1.0, 0.8333]  # 5 of 6, rounded to 4 places
    assert served["nl"]["runs"] == [0.75, 0.0]
    assert served["between_runs"] == [
        {"runs": [0, 1], "first_only": 4, "second_only": 0, "mcnemar_p": 0.125}
    ]


def test_the_reference_model_of_a_file_is_a_run_of_its_own() -> None:
    result = _interpreter(_right(2), against_right=_right(7))
    assert run_scores(result, against=True)["outcomes"]["r6"] == {"served": True, "model": True}
    assert run_scores(result, against=False)["outcomes"]["r6"] == {"served": False, "model": False}


def test_arms_are_compared_by_their_means_over_runs() -> None:
    better = [run_scores(_coach(_right(n)), against=False) for n in (9, 8, 9)]
    worse = [run_scores(_coach(_right(n)), against=False) for n in (5, 6, 5)]
    pair = compare({"new": better, "old": worse})["pairs"][0]
    assert pair["arms"] == ["new", "old"]
    assert pair["coach_checks"]["all"]["difference"] == pytest.approx(0.3333, abs=1e-4)
    # Fully separated arms of three runs each: the smallest p there is, 2 / C(6, 3).
    assert pair["coach_checks"]["all"]["permutation_p"] == 0.1


def test_the_permutation_p_counts_relabellings_as_extreme_as_the_observed_one() -> None:
    assert permutation_p([0.9, 0.8], [0.5, 0.6]) == pytest.approx(2 / 6)
    assert permutation_p([0.7, 0.5], [0.6, 0.6]) == 1.0  # equal means


@pytest.mark.parametrize(
    ("arms", "message"),
    [
        (
            {"a": [_interpreter(_right(5))], "b": [_coach(_right(5))]},
            "mix result kinds",
        ),
        (
            {
                "a": [_coach(_right(5))],
                "b": [{**_coach(_right(5)), "rows": _coach(_right(5))["rows"][:9]}],
            },
            "same held-out rows",
        ),
    ],
    ids=["interpreter-with-coach", "different-rows"],
)
def test_runs_that_cannot_be_compared_are_refused(arms: dict, message: str) -> None:
    loaded = {name: [run_scores(r, against=False) for r in runs] for name, runs in arms.items()}
    with pytest.raises(ValueError, match=message):
        compare(loaded)


def test_the_command_writes_a_report_and_refuses_a_bad_file_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    first.write_text(json.dumps(_interpreter(_right(8), against_right=_right(6))))
    second.write_text(json.dumps(_interpreter(_right(7))))
    out = tmp_path / "spread.json"
    assert (
        main(["--arm", f"new={first},{second}", "--arm", f"old={first}@against", "--out", str(out)])
        == 0
    )
    report = json.loads(out.read_text())
    assert report["arms"]["new"]["served"]["all"]["runs"] == [0.8, 0.7]
    assert report["arms"]["old"]["served"]["all"]["runs"] == [0.6]
    assert report["sources"]["old"] == [f"{first}@against"]

    broken = tmp_path / "broken.json"
    broken.write_text("{}")
    assert main(["--arm", f"new={broken}", "--out", str(tmp_path / "x.json")]) == 2
    error = capsys.readouterr().err.strip()
    assert error == f"recipe_spread: {broken}: no per-row results"
    assert not (tmp_path / "x.json").exists()
