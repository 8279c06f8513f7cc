"""Which other quant closes the shipped quant's measured gap to its F16."""

from __future__ import annotations

from josi.evals import CaseRecord, build_results, load_thresholds
from josi.pipeline._quant_gap import format_gap_report, gap_report, gaps

N = 40


def _results(failing: int) -> dict:
    """Golden cases c0..c39 with the first ``failing`` of them failing."""
    records = []
    for i in range(N):
        rec = CaseRecord(
            id=f"c{i}", layer="golden", run="turn", tags=[], lang="en", persona="p", message="m"
        )
        rec.passed = i >= failing
        records.append(rec.to_dict())
    ids = {"golden": [r["id"] for r in records]}
    return build_results(records, thresholds=load_thresholds("nano"), case_ids=ids)


def test_no_gap_when_the_interval_reaches_zero():
    assert gaps(_results(0), _results(2), alpha=0.05) == {}
    report = gap_report("Q4_K_M", _results(0), _results(2), {}, alpha=0.05)
    assert format_gap_report(report) == [
        "[ship] Q4_K_M against F16: no layer measurably worse (95% intervals)"
    ]


def test_a_measured_quant_closes_the_gap_and_a_worse_one_does_not():
    f16, shipped = _results(0), _results(12)
    found = gaps(f16, shipped, alpha=0.05)
    assert list(found) == ["golden"] and found["golden"]["regressed"] == 12
    assert found["golden"]["difference_ci95"][1] < 0
    report = gap_report(
        "Q4_K_M", f16, shipped, {"Q8_0": _results(1), "Q5_K_M": _results(12)}, alpha=0.05
    )
    assert report["closes"] == {"golden": ["Q8_0"]}
    (line,) = format_gap_report(report)
    assert "golden: Q4_K_M is measurably worse than F16 (12 pass->fail" in line
    assert line.endswith("closed by Q8_0 (measured)")


def test_no_other_quant_to_measure_is_said_not_guessed():
    report = gap_report("Q4_K_M", _results(0), _results(12), {}, alpha=0.05)
    assert report["closes"] == {"golden": []}
    assert format_gap_report(report)[0].endswith(
        "no other quant in export.quants to measure (add one, such as Q8_0)"
    )
    worse = gap_report("Q4_K_M", _results(0), _results(12), {"Q5_K_M": _results(12)}, 0.05)
    assert format_gap_report(worse)[0].endswith("none of Q5_K_M closes it (measured)")
