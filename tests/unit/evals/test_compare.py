from __future__ import annotations

import pytest

from josi.evals import compare_results, format_comparison, mcnemar_exact


@pytest.mark.parametrize(
    "b, c, p",
    [
        (0, 0, 1.0),
        (1, 0, 1.0),
        (10, 0, 2 / 1024),
        (2, 8, 2 * 56 / 1024),
        (5, 5, 1.0),
        (0, 6, 2 / 64),
        (3, 12, 2 * (1 + 15 + 105 + 455) / 2**15),
    ],
)
def test_exact_mcnemar_on_known_tables(b, c, p):
    assert mcnemar_exact(b, c) == pytest.approx(p)
    assert mcnemar_exact(c, b) == pytest.approx(p)


def test_negative_counts_are_rejected():
    with pytest.raises(ValueError):
        mcnemar_exact(-1, 2)


def _results(passes: dict[str, bool], metric: float) -> dict:
    return {
        "records": [{"layer": "golden", "id": cid, "passed": ok} for cid, ok in passes.items()],
        "layers": {"golden": {"metrics": {"pass_rate": metric}}},
    }


def test_compare_counts_flips_per_layer():
    a = _results({f"c{i}": True for i in range(12)} | {"x": False}, 12 / 13)
    b = _results({f"c{i}": i >= 10 for i in range(12)} | {"x": True, "new": True}, 3 / 14)
    cmp = compare_results(a, b)
    assert cmp["paired"] == 13 and cmp["only_in_b"] == 1
    assert len(cmp["regressed"]) == 10 and cmp["fixed"] == ["golden:x"]
    assert cmp["p_value"] == pytest.approx(mcnemar_exact(10, 1), abs=1e-6)
    assert cmp["significant_regression"]
    assert cmp["layers"]["golden"]["metric_deltas"]["pass_rate"]["delta"] == pytest.approx(
        3 / 14 - 12 / 13, abs=1e-4
    )
    text = format_comparison(cmp)
    assert "SIGNIFICANT REGRESSION" in text and "golden:c0" in text


def test_identical_runs_are_not_a_regression():
    a = _results({"a": True, "b": False}, 0.5)
    cmp = compare_results(a, a)
    assert cmp["p_value"] == 1.0 and not cmp["significant_regression"]


def test_a_sampled_run_is_compared_with_a_greedy_one_on_greedy_outcomes():
    # The ship's F16 reference decodes greedily; the shipped quant also runs 3 seeds, and its
    # flaky cases (greedy passes, a seed fails) must not count as quantization flips.
    greedy_only = _results({f"c{i}": True for i in range(12)}, 1.0)
    sampled = _results({f"c{i}": False for i in range(12)}, 0.0)
    for record in sampled["records"]:
        record.update(greedy_passed=True, samples=[True, False, True])
    cmp = compare_results(greedy_only, sampled)
    assert cmp["outcome"] == "greedy"
    assert cmp["regressed"] == [] and not cmp["significant_regression"]
    text = format_comparison(cmp)
    assert "greedy outcomes compared" in text and "each as its run gated it" in text
    # Two sampled runs are compared as gated: a case passes only under every seed.
    both = compare_results(sampled, sampled)
    assert both["outcome"] == "as gated" and both["regressed"] == [] and both["fixed"] == []


def test_action_distributions_are_compared_where_both_runs_scored_them():
    import math

    from josi.evals import compare_results, format_comparison

    def run(probs: list[dict]) -> dict:
        records = [
            {"layer": "schema", "id": f"c{i}", "passed": True, "facts": {"action_probs": p}}
            for i, p in enumerate(probs)
        ]
        return {"records": records, "layers": {"schema": {"metrics": {}}}}

    f16 = run([{"replan": 0.8, "explain": 0.2}, {"clarify": 0.6, "replan": 0.4}])
    quant = run([{"replan": 0.7, "explain": 0.3}, {"clarify": 0.4, "replan": 0.6}])
    dist = compare_results(f16, quant)["action_distribution"]
    assert dist["cases"] == 2 and (dist["top1_agreement"]["k"], dist["top1_agreement"]["n"]) == (
        1,
        2,
    )
    kl = (
        0.8 * math.log(0.8 / 0.7)
        + 0.2 * math.log(0.2 / 0.3)
        + 0.6 * math.log(0.6 / 0.4)
        + 0.4 * math.log(0.4 / 0.6)
    ) / 2
    assert dist["mean_kl"] == pytest.approx(kl, abs=1e-6)
    assert "top-1 agreement 1/2" in format_comparison(compare_results(f16, quant))
    assert compare_results(run([]), run([]))["action_distribution"] is None


def test_a_metric_gated_on_its_own_figure_is_paired_on_its_scorer():
    from josi.evals import compare_results, format_comparison

    def run(served: dict[str, bool], fields: float) -> dict:
        records = [
            {
                "layer": "schema",
                "id": cid,
                "passed": True,
                "scores": [
                    {"name": "served_action", "passed": ok, "value": float(ok)},
                    {"name": "served_field_accuracy", "passed": ok, "value": fields},
                ],
            }
            for cid, ok in served.items()
        ]
        # A case the other run did not score on this scorer is not paired on it.
        records.append({"layer": "schema", "id": "unscored", "passed": True, "scores": []})
        return {"records": records, "layers": {"schema": {"metrics": {}}}}

    a = run({f"c{i}": True for i in range(8)} | {"x": False}, 1.0)
    b = run({f"c{i}": i >= 3 for i in range(8)} | {"x": True}, 0.5)
    cmp = compare_results(a, b)
    # Every case passed as a whole in both runs: the layer's own pairing sees no flip.
    assert cmp["regressed"] == [] and cmp["fixed"] == []
    flips = cmp["layers"]["schema"]["metric_flips"]
    served = flips["served_action_accuracy"]
    assert served["paired"] == 9
    assert served["regressed"] == ["c0", "c1", "c2"] and served["fixed"] == ["x"]
    assert served["p_value"] == pytest.approx(mcnemar_exact(3, 1), abs=1e-6)
    assert not served["significant_regression"]
    # A mean (field accuracy) has no pass or fail per case to pair.
    assert "served_field_accuracy" not in flips
    text = format_comparison(cmp)
    assert "schema.served_action_accuracy: pass->fail 3, fail->pass 1 of 9" in text
    assert "pass->fail: c0, c1, c2" in text


def test_metric_pairing_flags_a_significant_regression_of_one_scorer():
    from josi.evals import compare_results, format_comparison

    def run(ok: bool) -> dict:
        records = [
            {
                "layer": "quality",
                "id": f"q{i}",
                "passed": True,
                "scores": [{"name": "repetition", "passed": ok or i >= 10, "value": 1.0}],
            }
            for i in range(12)
        ]
        return {"records": records, "layers": {"quality": {"metrics": {}}}}

    cmp = compare_results(run(True), run(False))
    rep = cmp["layers"]["quality"]["metric_flips"]["repetition_free_rate"]
    assert len(rep["regressed"]) == 10 and rep["fixed"] == [] and rep["significant_regression"]
    assert "quality.repetition_free_rate: pass->fail 10" in format_comparison(cmp)
    assert "SIGNIFICANT REGRESSION" in format_comparison(cmp)
    same = compare_results(run(True), run(True))["layers"]["quality"]["metric_flips"]
    assert same["repetition_free_rate"]["regressed"] == []
