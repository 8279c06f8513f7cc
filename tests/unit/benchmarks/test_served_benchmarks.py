"""The served benchmarks' summaries: per-case agreement by mode, and the layouts' ratio."""

from __future__ import annotations

from benchmarks.served_parity import compare
from benchmarks.served_parity import summarize as parity_summary
from benchmarks.served_scale import summarize as scale_summary

INTERP = ("interpreter", '{"action":"replan"}')


def test_parity_compares_each_mode_and_the_dry_off_coach():
    same = compare([INTERP], [INTERP], None)
    assert same == {"interpreter": {"identical": True}, "identical": True}
    local, served = [INTERP, ("coach", "Rest well.")], [INTERP, ("coach", "Rest up.")]
    row = compare(local, served, [INTERP, ("coach", "Rest up.")])
    assert row["identical"] is False and row["interpreter"]["identical"] is True
    assert row["coach"]["identical"] is False and row["coach"]["identical_dry_off"] is True
    assert row["coach"]["served"] == ["Rest up."]


def test_parity_summary_counts_per_suite():
    rows = [
        {"id": "s1", "layer": "schema", **compare([INTERP], [INTERP], None)},
        {"id": "g1", "layer": "golden", **compare([INTERP], [("interpreter", "{}")], None)},
    ]
    summary = parity_summary(rows)
    assert summary["all"]["identical"] == 1 and summary["all"]["differ"] == ["g1"]
    assert summary["schema"]["interpreter"] == {"cases": 1, "identical": 1, "differ": []}
    assert summary["golden"]["interpreter"]["differ"] == ["g1"]


def test_scale_summary_pools_repeats_and_takes_the_ratio():
    def run(workers, wall):
        return {
            "workers": workers,
            "cases": 10,
            "wall_s": wall,
            "cases_per_min": 600 / wall,
            "outputs": {"c": "x"},
        }

    summary = scale_summary([run(1, 60.0), run(2, 40.0), run(1, 60.0), run(2, 50.0)])
    assert summary["1x1"]["cases_per_min"] == 10.0
    assert summary["2x2"]["cases_per_min"] == round(60 * 20 / 90, 2)
    assert summary["speedup_2x2_over_1x1"] == round(summary["2x2"]["cases_per_min"] / 10.0, 2)
    assert summary["outputs_identical_across_runs"] is True
