"""Intervals and paired tests, against values worked out by hand."""

from __future__ import annotations

import math

import pytest

from josi.evals import mcnemar_exact, mcnemar_one_sided, smallest_detectable_difference, wilson
from josi.evals._stats import min_discordant_for_significance, paired_difference_interval


def test_wilson_matches_the_closed_form():
    # 8/10: centre (0.8 + 1.92/10) / 1.384, half-width 1.96*sqrt(0.016 + 0.0096)/1.384.
    z = 1.959963984540054
    interval = wilson(8, 10)
    denom = 1 + z * z / 10
    centre = (0.8 + z * z / 20) / denom
    half = z * math.sqrt(0.8 * 0.2 / 10 + z * z / 400) / denom
    assert interval.low == pytest.approx(centre - half) and interval.high == pytest.approx(
        centre + half
    )
    assert round(interval.low, 3) == 0.490 and round(interval.high, 3) == 0.943
    assert interval.text() == "8/10 [0.49, 0.94]"


@pytest.mark.parametrize(
    ("k", "n", "low", "high"), [(0, 16, 0.0, 0.194), (16, 16, 0.806, 1.0), (0, 0, 0.0, 1.0)]
)
def test_wilson_at_the_edges(k, n, low, high):
    interval = wilson(k, n)
    assert interval.low == pytest.approx(low, abs=1e-3) and interval.high == pytest.approx(
        high, abs=1e-3
    )


def test_wilson_rejects_impossible_counts():
    with pytest.raises(ValueError):
        wilson(3, 2)


def test_mcnemar_two_sided_and_one_sided():
    # 5 flips one way, 0 the other: 2 * 0.5^5 two-sided, 0.5^5 one-sided.
    assert mcnemar_exact(5, 0) == pytest.approx(0.0625)
    assert mcnemar_one_sided(5, 0) == pytest.approx(0.03125)
    # More fixes than regressions is never evidence of a regression.
    assert mcnemar_one_sided(0, 5) == 1.0
    assert mcnemar_one_sided(2, 3) == pytest.approx(sum(math.comb(5, i) for i in range(2, 6)) / 32)
    assert mcnemar_exact(0, 0) == mcnemar_one_sided(0, 0) == 1.0
    assert mcnemar_exact(3, 7) == mcnemar_exact(7, 3)


def test_smallest_detectable_difference():
    # Two-sided at 0.05 needs 6 one-way flips (2/64 = 0.031 < 0.05; 2/32 = 0.0625 is not).
    assert min_discordant_for_significance(0.05) == 6
    assert min_discordant_for_significance(0.05, two_sided=False) == 5
    assert smallest_detectable_difference(60, 0.05) == pytest.approx(0.1)
    assert smallest_detectable_difference(5, 0.05) is None


def test_paired_difference_interval_is_centred_and_covers_zero_without_flips():
    low, high = paired_difference_interval(0, 0, 100)
    assert low < 0 < high and low == pytest.approx(-high)
    low, high = paired_difference_interval(10, 0, 100)
    assert high < 0
