from __future__ import annotations

import json

import pytest
import typer
from typer.testing import CliRunner

from josi._errors import ConfigError, ContractError, ModelFileError
from josi.evals import CaseRecord, build_results, load_thresholds, write_report
from josi.evals._bakeoff import WEIGHTS, bakeoff, rank


def _row(name, size, tps, rss, schema, contract, quality):
    return {
        "name": name,
        "gguf": f"/m/{name}.gguf",
        "size_bytes": size,
        "tokens_per_s": tps,
        "latency_s_p50": 1.0,
        "peak_rss_kb": rss,
        "layer_pass": {"schema": schema, "contract": contract, "quality": quality},
        "pytest_exit": 0,
        "wall_s": 1.0,
        "results": "r.json",
    }


def test_weights_are_the_plan_decision_matrix():
    assert WEIGHTS == {
        "schema": 25,
        "contract": 25,
        "quality": 25,
        "size": 10,
        "speed": 10,
        "ram": 5,
    }


def test_rank_applies_the_weights():
    small = _row("small", 100, 50.0, 1000, 0.5, 0.5, 0.5)
    big = _row("big", 400, 25.0, 4000, 1.0, 1.0, 1.0)
    ranked = rank([small, big])
    by = {c.name: c for c in ranked}
    assert by["small"].score == pytest.approx(75 * 0.5 + 10 + 10 + 5)
    assert by["big"].score == pytest.approx(75 + 10 * 0.25 + 10 * 0.5 + 5 * 0.25)
    assert [c.name for c in ranked] == ["big", "small"]


def _fake_runner(gguf, out_dir, **_):
    rec = CaseRecord(
        id="c1",
        layer="schema",
        run="interpret",
        tags=["en"],
        lang="en",
        persona="balanced",
        message="m",
        latency_s=2.0,
        completion_tokens=40,
        peak_rss_kb=2048,
    )
    rec.passed = "good" in gguf.name
    res = build_results(
        [rec.to_dict()], thresholds=load_thresholds("bakeoff"), case_ids={"schema": ["c1"]}
    )
    write_report(res, out_dir)
    return 0, 1.0


def test_bakeoff_writes_table_json_and_ranks(tmp_path):
    good, bad = tmp_path / "good.gguf", tmp_path / "bad.gguf"
    good.write_bytes(b"x" * 10)
    bad.write_bytes(b"x" * 10)
    summary = bakeoff([bad, good], tmp_path / "out", layers=("schema",), runner=_fake_runner)
    assert [r["name"] for r in summary["ranking"]] == ["good", "bad"]
    assert summary["ranking"][0]["tokens_per_s"] == 20.0
    assert (tmp_path / "out" / "bakeoff.txt").read_text().startswith("#")
    assert json.loads((tmp_path / "out" / "bakeoff.json").read_text())["weights"]["schema"] == 25


def _runner_passing(passes: dict[str, int], n: int = 6):
    """Each candidate passes its first ``passes[name]`` of ``n`` schema cases."""

    def runner(gguf, out_dir, **_):
        records = []
        for i in range(n):
            rec = CaseRecord(
                id=f"c{i}",
                layer="schema",
                run="interpret",
                tags=[],
                lang="en",
                persona="p",
                message="m",
            )
            rec.passed = i < passes[gguf.stem]
            records.append(rec.to_dict())
        ids = {"schema": [r["id"] for r in records]}
        write_report(
            build_results(records, thresholds=load_thresholds("bakeoff"), case_ids=ids), out_dir
        )
        return 0, 1.0

    return runner


def test_bakeoff_ranking_carries_counts_intervals_and_paired_tests(tmp_path):
    ggufs = []
    for name in ("best", "tied", "worst"):
        ggufs.append(tmp_path / f"{name}.gguf")
        ggufs[-1].write_bytes(b"x" * 10)
    runner = _runner_passing({"best": 6, "tied": 5, "worst": 0})
    summary = bakeoff(ggufs, tmp_path / "out", layers=("schema",), runner=runner)
    by = {r["name"]: r for r in summary["ranking"]}
    assert summary["ranking"][0]["name"] == "best"
    assert by["best"]["versus_leader"] is None
    assert by["best"]["layer_counts"]["schema"]["k"] == 6
    assert by["best"]["layer_counts"]["schema"]["low"] == pytest.approx(0.6097, abs=1e-3)
    # One flip is no evidence (p = 1); six all one way is (p = 2/64).
    assert by["tied"]["versus_leader"]["regressed"] == ["schema:c5"]
    assert not by["tied"]["versus_leader"]["separated"]
    assert by["worst"]["versus_leader"]["p_value"] == pytest.approx(2 / 64)
    assert by["worst"]["versus_leader"]["separated"]
    table = summary["table"]
    assert "6/6 [0.61,1.00]" in table and "0/6 [0.00,0.39]" in table
    assert "not separated from #1 by these cases (paired p >= 0.05): tied" in table


def test_a_small_model_that_fails_the_cases_earns_no_efficiency_points(tmp_path):
    good, tiny = tmp_path / "good.gguf", tmp_path / "tiny.gguf"
    good.write_bytes(b"x" * 100)
    tiny.write_bytes(b"x")  # a hundred times smaller: 10 size points on its own
    runner = _runner_passing({"good": 6, "tiny": 0})
    summary = bakeoff([tiny, good], tmp_path / "out", layers=("schema",), runner=runner)
    by = {r["name"]: r for r in summary["ranking"]}
    assert not by["tiny"]["efficiency_eligible"] and by["good"]["efficiency_eligible"]
    assert by["tiny"]["parts"]["size"] == 0.0 and by["tiny"]["score"] == 0.0
    assert by["good"]["parts"]["size"] == 1.0  # the smallest of the candidates that earn it
    assert (
        "no size/speed/RAM points (significantly worse than the best on quality): tiny"
        in (summary["table"])
    )
    # Within the noise of the cases, size still breaks the tie.
    close = bakeoff(
        [tiny, good],
        tmp_path / "close",
        layers=("schema",),
        runner=_runner_passing({"good": 6, "tiny": 5}),
    )
    assert [r["name"] for r in close["ranking"]] == ["tiny", "good"]


def test_bakeoff_rejects_a_missing_candidate(tmp_path):
    with pytest.raises(ModelFileError, match="not found"):
        bakeoff([tmp_path / "none.gguf"], tmp_path / "out", runner=_fake_runner)


def test_bakeoff_runs_each_candidate_on_its_endpoint(tmp_path):
    ggufs = [tmp_path / "good.gguf", tmp_path / "bad.gguf"]
    for gguf in ggufs:
        gguf.write_bytes(b"x")
    seen = {}

    def runner(gguf, out_dir, **options):
        seen[gguf.name] = options["endpoint"]
        return _fake_runner(gguf, out_dir)

    urls = ["http://a:8080", "http://b:8080"]
    bakeoff(ggufs, tmp_path / "out", layers=("schema",), runner=runner, endpoints=urls)
    assert seen == {"good.gguf": urls[0], "bad.gguf": urls[1]}
    with pytest.raises(ConfigError, match="1 endpoints for 2 GGUFs"):
        bakeoff(ggufs, tmp_path / "out", runner=runner, endpoints=urls[:1])


def _write(tmp_path, name, passed, n=1):
    recs = []
    for i in range(1, n + 1):
        rec = CaseRecord(
            id=f"c{i}",
            layer="golden",
            run="turn",
            tags=["en"],
            lang="en",
            persona="balanced",
            message="m",
        )
        rec.passed = passed
        recs.append(rec.to_dict())
    res = build_results(
        recs, thresholds=load_thresholds("nano"), case_ids={"golden": [r["id"] for r in recs]}
    )
    return write_report(res, tmp_path / name)["json"]


def _cli(*args):
    from josi.evals._cli import register

    app = typer.Typer()
    register(app)
    return CliRunner().invoke(app, [str(a) for a in args])


def test_cli_compare_and_report(tmp_path):
    a, b = _write(tmp_path, "a", True), _write(tmp_path, "b", False)
    result = _cli("compare", a, b, "--out", tmp_path / "cmp.json")
    assert result.exit_code == 0, result.output
    assert "pass->fail 1, fail->pass 0" in result.output
    assert json.loads((tmp_path / "cmp.json").read_text())["regressed"] == ["golden:c1"]
    assert _cli("compare", a, b, "--fail-on-regression").exit_code == 0  # one flip: p = 1
    six_a, six_b = _write(tmp_path, "a6", True, 6), _write(tmp_path, "b6", False, 6)
    assert _cli("compare", six_a, six_b, "--fail-on-regression").exit_code == 1  # p = 2/64
    (tmp_path / "b" / "report.html").unlink()
    result = _cli("report", tmp_path / "b")
    assert result.exit_code == 0 and "GATES FAILED: golden.pass_rate" in result.output
    assert (tmp_path / "b" / "report.html").is_file()


def test_cli_compare_bad_file_is_a_clear_error(tmp_path):
    (tmp_path / "x.json").write_text("{}")
    result = _cli("compare", tmp_path / "x.json", tmp_path / "x.json")
    assert isinstance(result.exception, ContractError)
    assert "not a josi results file" in str(result.exception)
