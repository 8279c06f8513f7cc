"""The regression gate of a below-target profile: paired against its baseline, never a ratchet."""

from __future__ import annotations

import json
from dataclasses import asdict

import pytest

from josi._errors import ConfigError
from josi.evals import (
    CaseRecord,
    build_results,
    load_baseline,
    load_thresholds,
    regression_verdict,
    terminal_summary,
    write_baseline,
)
from josi.evals._baseline import Baseline
from josi.scorers import Score


def _record(cid: str, layer: str, passed: bool) -> dict:
    rec = CaseRecord(
        id=cid,
        layer=layer,
        run="turn",
        tags=["en"],
        lang="en",
        persona="balanced",
        message=f"message {cid}",
    )
    rec.passed = passed
    return rec.to_dict()


def _baseline(outcomes: dict[str, bool], tmp_path) -> Baseline:
    return Baseline(tmp_path / "nano.baseline.json", "nano", {}, outcomes)


def _golden(n_pass: int, n_fail: int, prefix: str = "g") -> list[dict]:
    return [_record(f"{prefix}{i}", "golden", True) for i in range(n_pass)] + [
        _record(f"{prefix}{n_pass + i}", "golden", False) for i in range(n_fail)
    ]


def test_an_equal_model_passes_with_no_flips(tmp_path):
    records = _golden(30, 10)
    base = _baseline({f"golden:{r['id']}": r["passed"] for r in records}, tmp_path)
    verdict = regression_verdict(records, base, alpha=0.05, layers=["golden"])
    assert verdict["blocked"] == []
    assert (
        verdict["layers"]["golden"]["regressed"] == []
        and verdict["layers"]["golden"]["p_value"] == 1.0
    )


def test_a_clearly_worse_model_is_blocked_per_layer_and_overall(tmp_path):
    before = _golden(40, 0)
    now = _golden(30, 10)  # ten cases flipped pass -> fail, none the other way
    base = _baseline({f"golden:{r['id']}": r["passed"] for r in before}, tmp_path)
    verdict = regression_verdict(now, base, alpha=0.05, layers=["golden"])
    assert verdict["blocked"] == ["golden", "all"]
    assert verdict["layers"]["golden"]["p_value"] == pytest.approx(0.5**10, abs=1e-6)


def test_new_failing_cases_never_block(tmp_path):
    records = _golden(30, 10)
    base = _baseline({f"golden:{r['id']}": r["passed"] for r in records}, tmp_path)
    grown = records + [_record(f"new{i}", "golden", False) for i in range(20)]
    verdict = regression_verdict(grown, base, alpha=0.05, layers=["golden"])
    assert verdict["blocked"] == []
    assert verdict["overall"]["new_failing"] == [f"golden:new{i}" for i in range(20)]


def test_below_target_gates_are_reported_and_the_paired_test_decides(tmp_path):
    thresholds = load_thresholds("nano")
    records = _golden(30, 10) + [_record(f"new{i}", "golden", False) for i in range(20)]
    ids = {"golden": [r["id"] for r in records]}
    base = _baseline({f"golden:g{i}": i < 30 for i in range(40)}, tmp_path)
    # Absolute figures: 30/60 is below nano's measured golden figure, so the ratchet fails.
    assert (
        "golden.pass_rate"
        in build_results(records, thresholds=thresholds, case_ids=ids)["gates_failed"]
    )
    res = build_results(records, thresholds=thresholds, case_ids=ids, baseline=base)
    assert res["gates_failed"] == []
    gate = next(g for g in res["layers"]["golden"]["gates"] if g["metric"] == "golden.pass_rate")
    assert gate["status"] == "paired" and gate["value"] == 0.5
    assert any("new, failing (20)" in line for line in terminal_summary(res))
    worse = [_record(f"g{i}", "golden", i < 20) for i in range(40)]
    res = build_results(
        worse,
        thresholds=thresholds,
        case_ids={"golden": [f"g{i}" for i in range(40)]},
        baseline=base,
    )
    assert res["gates_failed"] == ["regression.golden", "regression.all"]


def test_production_gates_stay_absolute_with_a_baseline(tmp_path):
    # Gates a profile meets (no below-target line) are never replaced by the paired test.
    thresholds = load_thresholds("nano")
    records = [_record(f"q{i}", "quality", i < 5) for i in range(10)]
    cold = [Score("warmth", 1.0, False), Score("brevity", 5.0, True)] + [
        Score.binary(name, True)
        for name in (
            "forbidden_words",
            "jargon",
            "repetition",
            "governor_compliance",
            "language_match",
        )
    ]
    for r in records:
        r["scores"] = [asdict(s) for s in cold]
    base = _baseline({f"quality:{r['id']}": r["passed"] for r in records}, tmp_path)
    res = build_results(
        records,
        thresholds=thresholds,
        case_ids={"quality": [r["id"] for r in records]},
        baseline=base,
    )
    assert "quality.warmth_mean" in res["gates_failed"]


def test_baseline_round_trip_and_errors(tmp_path):
    thresholds = load_thresholds("nano")
    records = _golden(3, 1)
    res = build_results(
        records,
        thresholds=thresholds,
        case_ids={"golden": [r["id"] for r in records]},
        run={"gguf": "/somewhere/nano.Q4_K_M.gguf"},
    )
    path = write_baseline(res, tmp_path / "nano.baseline.json")
    loaded = load_baseline(path)
    assert loaded.outcomes == {
        "golden:g0": True,
        "golden:g1": True,
        "golden:g2": True,
        "golden:g3": False,
    }
    assert loaded.model["gguf"] == "nano.Q4_K_M.gguf"
    assert load_baseline(tmp_path / "absent.json") is None
    (tmp_path / "broken.json").write_text(
        json.dumps({"version": 1, "outcomes": {"golden:x": "yes"}})
    )
    with pytest.raises(ConfigError, match="not a version-1 baseline"):
        load_baseline(tmp_path / "broken.json")
    (tmp_path / "seeds.json").write_text(json.dumps({"version": 1, "outcomes": {}, "samples": "3"}))
    with pytest.raises(ConfigError, match="not a version-1 baseline"):
        load_baseline(tmp_path / "seeds.json")
    partial = build_results(
        records[:2], thresholds=thresholds, case_ids={"golden": [r["id"] for r in records]}
    )
    with pytest.raises(ConfigError, match="no complete layer"):
        write_baseline(partial, tmp_path / "partial.json")


def test_a_case_passes_under_the_sampler_only_if_every_seed_passes():
    def rec(passed: bool, violations=()) -> CaseRecord:
        r = CaseRecord(
            id="c",
            layer="golden",
            run="turn",
            tags=["en"],
            lang="en",
            persona="balanced",
            message="m",
        )
        r.passed, r.violations = passed, list(violations)
        r.expect(Score.binary("action", passed, "got 'clarify'"))
        return r

    greedy = rec(True)
    greedy.add_samples([rec(True), rec(False), rec(True)])
    assert greedy.greedy_passed and greedy.samples == [True, False, True]
    assert not greedy.passed and greedy.to_dict()["passed"] is False and greedy.flaky
    assert greedy.sample_failures == ["seed 1: action: got 'clarify'"]
    steady = rec(False)
    steady.add_samples([rec(False), rec(False)])
    assert not steady.flaky and not steady.passed
    broken = rec(True)
    broken.add_samples(
        [rec(True, violations=["monitor tier has no chat, but the turn went ahead"])]
    )
    assert broken.code_failures() == ["seed 0: monitor tier has no chat, but the turn went ahead"]
    records = [greedy.to_dict(), steady.to_dict() | {"id": "d"}]
    res = build_results(
        records, thresholds=load_thresholds("nano"), case_ids={"golden": ["c", "d"]}
    )
    sampling = res["layers"]["golden"]["details"]["sampling"]
    assert sampling["seeds"] == 3 and sampling["flaky"] == ["c"]
    assert (sampling["greedy"]["k"], sampling["every_seed"]["k"]) == (1, 0)
    assert any("flaky 1" in line for line in terminal_summary(res))


def _sampled(cid: str, greedy: bool, seeds: list[bool]) -> dict:
    record = _record(cid, "golden", greedy)
    return record | {"greedy_passed": greedy, "samples": seeds, "passed": greedy and all(seeds)}


def test_a_run_under_another_seed_count_is_paired_on_greedy_outcomes(tmp_path):
    """A baseline judged under 3 seeds holds flaky cases as failed; a greedy-only run of the
    same model would pass them, and the gate would count those as fixes. Paired greedy
    against greedy, the same model shows no flip."""
    shipped = [_sampled(f"f{i}", True, [True, False, True]) for i in range(8)]
    shipped += [_sampled(f"s{i}", True, [True, True, True]) for i in range(8)]
    ids = {"golden": [r["id"] for r in shipped]}
    thresholds = load_thresholds("nano")
    res = build_results(
        shipped, thresholds=thresholds, case_ids=ids, run={"sampling": {"samples": 3}}
    )
    base = load_baseline(write_baseline(res, tmp_path / "nano.baseline.json"))
    assert base.samples == 3 and len(base.greedy_outcomes) == 16
    assert sum(base.outcomes.values()) == 8  # the flaky half failed under the sampler

    greedy_only = [_record(r["id"], "golden", True) for r in shipped]
    verdict = regression_verdict(greedy_only, base, alpha=0.05, layers=["golden"], samples=0)
    assert verdict["outcome"].startswith("greedy")
    assert verdict["layers"]["golden"]["fixed"] == [] == verdict["layers"]["golden"]["regressed"]
    # The same run under the baseline's seed count is paired as gated, as before.
    same = regression_verdict(shipped, base, alpha=0.05, layers=["golden"], samples=3)
    assert same["outcome"].startswith("as gated") and same["layers"]["golden"]["fixed"] == []
    # A greedy-only regression still shows: two cases now fail greedily.
    worse = [r | {"passed": r["id"] not in ("s0", "s1")} for r in greedy_only]
    verdict = regression_verdict(worse, base, alpha=0.05, layers=["golden"], samples=0)
    assert verdict["layers"]["golden"]["regressed"] == ["s0", "s1"]
    # A baseline written before the seed count was recorded is paired as gated, and says so.
    legacy = _baseline(dict(base.outcomes), tmp_path)
    verdict = regression_verdict(greedy_only, legacy, alpha=0.05, layers=["golden"], samples=0)
    assert "does not record" in verdict["outcome"]
    assert len(verdict["layers"]["golden"]["fixed"]) == 8


def test_baseline_update_takes_only_a_passing_run(tmp_path, capsys):
    import shutil

    from josi.cli import main
    from josi.evals import load_cases
    from josi.evals import load_thresholds as load

    toml = tmp_path / "nano.toml"
    shutil.copy(load("nano").path, toml)
    thresholds = load(toml)
    ids = [c.id for c in load_cases("golden")]
    records = [_record(cid, "golden", i % 2 == 0) for i, cid in enumerate(ids)]
    res = build_results(records, thresholds=thresholds, case_ids={"golden": ids})
    assert res["gates_failed"] == ["golden.pass_rate"]  # 0.5 is below the recorded 0.6976
    path = tmp_path / "results.json"
    path.write_text(json.dumps(res))
    assert main(["baseline", "update", str(path), "--profile", str(toml)]) == 2
    assert "only a passing run" in capsys.readouterr().err
    assert not (tmp_path / "nano.baseline.json").exists()
    # The first baseline comes from the model that last shipped: its below-target figures may
    # miss the recorded ones, but a code guarantee may not fail.
    broken = json.loads(path.read_text())
    broken["records"][0]["violations"] = ["monitor tier has no chat, but the turn went ahead"]
    (tmp_path / "broken.json").write_text(json.dumps(broken))
    assert (
        main(
            [
                "baseline",
                "update",
                str(tmp_path / "broken.json"),
                "--profile",
                str(toml),
                "--initial",
            ]
        )
        == 2
    )
    assert main(["baseline", "update", str(path), "--profile", str(toml), "--initial"]) == 0
    assert len(load_baseline(tmp_path / "nano.baseline.json").outcomes) == len(ids)
    assert main(["baseline", "update", str(path), "--profile", str(toml), "--initial"]) == 2
    assert "first baseline only" in capsys.readouterr().err


def test_non_inferiority_power_and_the_smallest_margin_a_suite_supports():
    from josi.evals._stats import non_inferiority_power, smallest_supported_margin

    margin = smallest_supported_margin(200, 0.10)
    assert margin == pytest.approx((1.959964 + 0.841621) * (0.10 / 200) ** 0.5, rel=1e-5)
    assert non_inferiority_power(margin, 200, 0.10) == pytest.approx(0.80, abs=1e-6)
    assert non_inferiority_power(0.02, 32, 0.10) < 0.10  # far too tight for 32 cases
    assert smallest_supported_margin(0, 0.10) is None


def _flipped(n: int, regressed: int, fixed: int) -> tuple[list[dict], list[dict]]:
    before = [_record(f"g{i}", "golden", i >= fixed) for i in range(n)]
    now = [_record(f"g{i}", "golden", i < fixed or i >= fixed + regressed) for i in range(n)]
    return before, now


def test_non_inferiority_blocks_a_drop_the_one_sided_test_lets_through(tmp_path):
    # 4 pass->fail, 0 fail->pass of 200: p = 1/16, not a significant regression, but the
    # lower bound of the difference sits below -0.02.
    before, now = _flipped(200, regressed=4, fixed=0)
    base = _baseline({f"golden:{r['id']}": r["passed"] for r in before}, tmp_path)
    plain = regression_verdict(now, base, alpha=0.05, layers=["golden"])
    assert plain["blocked"] == [] and "non_inferiority" not in plain["layers"]["golden"]
    ruled = regression_verdict(
        now,
        base,
        alpha=0.05,
        layers=["golden"],
        non_inferiority={"golden": 0.02},
        discordance=0.01,
    )
    check = ruled["layers"]["golden"]["non_inferiority"]
    assert check["blocked"] and check["power"] >= 0.80 and "error" not in check
    assert ruled["blocked"] == ["golden"]
    equal = regression_verdict(
        before,
        base,
        alpha=0.05,
        layers=["golden"],
        non_inferiority={"golden": 0.02},
        discordance=0.01,
    )
    assert equal["blocked"] == []


def test_a_margin_the_suite_cannot_support_is_an_error_that_blocks(tmp_path):
    records = _golden(30, 10)
    base = _baseline({f"golden:{r['id']}": r["passed"] for r in records}, tmp_path)
    verdict = regression_verdict(
        records, base, alpha=0.05, layers=["golden"], non_inferiority={"golden": 0.05}
    )
    check = verdict["layers"]["golden"]["non_inferiority"]
    assert check["blocked"] and verdict["blocked"] == ["golden"]
    assert "margin 0.05 on 40 paired cases" in check["error"]
    assert "supports 0.140 or more" in check["error"]


@pytest.mark.parametrize(
    "compare, match",
    [
        ("non_inferiority = { golden = 1.5 }", "margin in \\(0, 1\\)"),
        ("non_inferiority = { nonsense = 0.1 }", "unknown layer 'nonsense'"),
        ("discordance = 0", "discordance must be a share"),
    ],
)
def test_non_inferiority_settings_are_checked(tmp_path, compare, match):
    path = tmp_path / "t.toml"
    path.write_text(f'profile = "t"\n[compare]\nalpha = 0.05\n{compare}\n')
    with pytest.raises(ConfigError, match=match):
        load_thresholds(path)
