"""The jump-forward benchmark's summary: paired ratios, forward passes, the limit per call."""

from __future__ import annotations

import pytest

from benchmarks.jump_forward import limit_s, summarize

LIMIT = {"pp_tokens_per_s": 1000.0, "tg_tokens_per_s": 100.0}


def _side(latency: float, steps: int, forced: int) -> dict:
    return {
        "latency_s": latency,
        "prompt_tokens": 300,
        "cached_tokens": 200,
        "completion_tokens": 40,
        "decode_steps": steps,
        "forced_tokens": forced,
        "llama_ms": 1000 * latency * 0.9,
    }


def _row(layer: str, on: float, off: float, identical: bool = True) -> dict:
    return {
        "id": f"{layer}-{on}",
        "layer": layer,
        "identical": identical,
        "on": _side(on, 12, 28),
        "off": _side(off, 40, 0),
    }


def test_limit_is_prompt_processing_plus_one_decode_per_choice():
    # (100 new prompt tokens + 28 forced) at 1000/s, 12 single-token decodes at 100/s
    assert limit_s(_row("schema", 0.3, 0.6), LIMIT) == pytest.approx(0.128 + 0.12)


def test_summary_pairs_ratios_and_counts_per_suite():
    rows = [
        _row("schema", 0.2, 0.6),
        _row("schema", 0.4, 0.8),
        _row("golden", 0.5, 0.5, identical=False),
    ]
    summary = summarize(rows, LIMIT)
    assert summary["schema"]["speedup"] == pytest.approx(2.5)  # median of 3.0 and 2.0
    assert summary["schema"]["meets_goal"] is True
    assert summary["golden"]["speedup"] == pytest.approx(1.0)
    assert summary["all"]["calls"] == 3 and summary["all"]["identical_outputs"] == 2
    assert summary["all"]["forward_passes_saved_mean"] == pytest.approx(28)
    assert summary["schema"]["on"]["cases_per_min"] == pytest.approx(60 * 2 / 0.6, abs=0.1)
    assert summary["schema"]["throughput_ratio"] == pytest.approx(2.33, abs=0.01)


def test_limit_takes_the_speeds_llama_cpp_timed_in_the_plain_call():
    row = _row("golden", 0.3, 0.6)
    row["off"].update(llama_pp_tokens=100, llama_pp_ms=200.0, llama_tg_tokens=40, llama_tg_ms=800.0)
    # 128 batched tokens at 2 ms, 12 decodes at 20 ms
    assert limit_s(row, LIMIT) == pytest.approx(0.256 + 0.24)


def test_summary_reports_each_smaller_batch_size_against_the_plain_call():
    rows = [_row("schema", 0.2, 0.6), _row("schema", 0.3, 0.6, identical=False)]
    for row, same, latency in zip(rows, (True, False), (0.3, 0.4), strict=True):
        row["on_rows_3"] = _side(latency, 20, 28)
        row["identical_rows"] = {"3": same}
    sized = summarize(rows, LIMIT)["schema"]["rows"]["3"]
    assert sized["identical_outputs"] == 1
    assert sized["speedup"] == pytest.approx((2.0 + 1.5) / 2)
    assert sized["forward_passes_mean"] == pytest.approx(20)
    assert "rows" not in summarize([_row("golden", 0.5, 0.5)], LIMIT)["golden"]


def test_rows_below_one_are_refused():
    from benchmarks.jump_forward import main

    with pytest.raises(SystemExit):
        main(["--out", "unused.json", "--rows", "0"])


def test_summary_reports_the_baseline_against_both_settings():
    rows = [_row("schema", 0.2, 0.5), _row("schema", 0.4, 0.5)]
    for row, same, latency in zip(rows, (True, False), (0.6, 0.8), strict=True):
        row["baseline"] = _side(latency, 40, 0)
        row["baseline_identical"] = same
    base = summarize(rows, LIMIT)["schema"]["baseline"]
    assert base["identical_outputs"] == 1
    assert base["speedup_of_on"] == pytest.approx((3.0 + 2.0) / 2)
    assert base["speedup_of_off"] == pytest.approx((1.2 + 1.6) / 2)
    assert "baseline" not in summarize([_row("golden", 0.5, 0.5)], LIMIT)["golden"]
