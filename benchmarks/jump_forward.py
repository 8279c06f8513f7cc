"""Jump-forward decoding on vs off, side by side in one process, and the limit it runs against.

    python -m benchmarks.jump_forward --out benchmarks/results/NAME.json [--gguf PATH] [--cases N]
        [--threads N] [--rows N ...]

- interpreter calls: every schema and golden gate case's interpreter call (message, context,
  history as the suites send them), run with jump-forward on and off back to back, in
  alternating order, each from the saved system-prompt prefix only. Per setting: latency
  p50/p95, forward passes per call (llama_decode calls spent on the output), tokens that came in
  a jump-forward batch; per pair: the latency ratio and whether the outputs are identical;
- eval throughput: the same interpreter calls as cases/min per suite and setting (the coach
  call of a golden turn has no grammar, so jump-forward cannot change it and it is left out);
- the limit: llama.cpp's own prompt-processing and decode speed for the GGUF (its perf
  counters around one batch of prompt tokens and a run of single-token decodes, as llama-bench's
  pp and tg tests measure them), before and after the calls; and per call the time "prompt
  processing + one decode per free choice" would take at the speeds llama.cpp timed inside the
  plain call of the same pair, next to the measured latency;
- with ``--rows N``: jump-forward with at most N positions per decode as a further setting in
  the same rotation, with its agreement with the plain call and its speedup. Batches below the
  size where llama.cpp's kernels switch to tiled GEMM decode as one token at a time does.

Greedy decoding throughout (the suites' setting). Ratios are medians of per-pair ratios.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks import _kernels
from benchmarks._machine import machine
from benchmarks.run import _pct, _summary

SUITES = ("schema", "golden")
GOAL = 2.0  # the target: an interpreter call at least twice as fast for the nano model
BASELINE = "baseline"  # plain decoding on --baseline's GGUF with the shipped llama.cpp settings


def interpreter_cases(layer: str) -> list[Any]:
    """The cases of a gate suite whose run includes an interpreter call."""
    from josi.contracts import load_tool_dispatch
    from josi.evals import load_cases

    tiers = load_tool_dispatch()["tiers"]
    return [
        case
        for case in load_cases(layer)
        if case.run in ("interpret", "turn")
        and tiers.get(case.context["tier"], {}).get("chat", False)
    ]


def _call(runtime: Any, case: Any) -> Any:
    runtime.engine.drop_live_cache()  # every call starts from the saved prefix only
    return runtime.interpret(case.context, case.message, list(case.history) or None)


def _perf(llm: Any) -> dict[str, float]:
    import llama_cpp

    # llama.cpp books a decode's time when it synchronizes, not when it returns.
    llama_cpp.llama_synchronize(llm._ctx.ctx)
    data = llama_cpp.llama_perf_context(llm._ctx.ctx)
    return {
        "pp_ms": data.t_p_eval_ms,
        "pp_tokens": data.n_p_eval,
        "tg_ms": data.t_eval_ms,
        "tg_tokens": data.n_eval,
    }


def _reset_perf(llm: Any) -> None:
    import llama_cpp

    llama_cpp.llama_perf_context_reset(llm._ctx.ctx)


def measure_limit(
    runtime: Any, pp_tokens: int = 128, tg_tokens: int = 64, repeats: int = 3
) -> dict[str, Any]:
    """llama.cpp's prompt-processing and decode tokens/s on this GGUF, from its own counters."""
    import llama_cpp

    engine = runtime.engine
    llm = engine.llm
    prompt = engine.tokenize("Give me a 45 minute run tomorrow, easy pace please. " * 40)[
        :pp_tokens
    ]
    pp, tg = [], []
    for _ in range(repeats):
        engine.drop_live_cache()
        _reset_perf(llm)
        llm.eval(prompt)
        llama_cpp.llama_synchronize(llm._ctx.ctx)
        for token in prompt[:tg_tokens]:
            llm.eval([token])
            llama_cpp.llama_synchronize(llm._ctx.ctx)
        perf = _perf(llm)
        pp.append(1000 * perf["pp_tokens"] / perf["pp_ms"])
        tg.append(1000 * perf["tg_tokens"] / perf["tg_ms"])
    engine.clear_cache()
    return {
        "pp_tokens": pp_tokens,
        "tg_tokens": tg_tokens,
        "repeats": repeats,
        "pp_tokens_per_s": round(statistics.median(pp), 1),
        "tg_tokens_per_s": round(statistics.median(tg), 1),
        "source": "llama_perf_context (t_p_eval_ms / n_p_eval, t_eval_ms / n_eval)",
    }


def _rows_name(rows: int) -> str:
    return f"on_rows_{rows}"


def _measured(call: Any, perf: dict[str, float]) -> dict[str, Any]:
    """One call's cost: the runtime's counts and llama.cpp's own timings."""
    stats = call.stats
    return {
        "latency_s": round(stats.latency_s, 4),
        "prompt_tokens": stats.prompt_tokens,
        "cached_tokens": stats.cached_tokens,
        "completion_tokens": stats.completion_tokens,
        "decode_steps": stats.decode_steps,
        "forced_tokens": stats.forced_tokens,
        "llama_ms": round(perf["pp_ms"] + perf["tg_ms"], 2),
        "llama_pp_tokens": perf["pp_tokens"],
        "llama_pp_ms": round(perf["pp_ms"], 2),
        "llama_tg_tokens": perf["tg_tokens"],
        "llama_tg_ms": round(perf["tg_ms"], 2),
    }


def run_pairs(
    runtime: Any, cases: list[Any], rows: tuple[int, ...] = (), baseline: Any = None
) -> list[dict[str, Any]]:
    """Every case under every setting back to back: off, on (one batch per forced run), on
    with at most ``rows`` positions per decode for each of ``rows``, and with ``baseline`` (a
    runtime of its own: another GGUF or other llama.cpp settings) its plain decoding."""
    settings = {
        "on": runtime.with_config(deterministic=True, jump_forward=True),
        "off": runtime.with_config(deterministic=True, jump_forward=False),
        **{
            _rows_name(n): runtime.with_config(
                deterministic=True, jump_forward=True, jump_forward_rows=n
            )
            for n in rows
        },
        **(
            {BASELINE: baseline.with_config(deterministic=True, jump_forward=False)}
            if baseline is not None
            else {}
        ),
    }
    names = list(settings)
    out = []
    for i, case in enumerate(cases):
        calls: dict[str, Any] = {}
        perf: dict[str, dict[str, float]] = {}
        # Rotate which setting goes first, so none always meets a cold cache or a burst.
        for name in names[i % len(names) :] + names[: i % len(names)]:
            llm = settings[name].engine.llm
            _reset_perf(llm)
            calls[name] = _call(settings[name], case)
            perf[name] = _perf(llm)
        plain = calls["off"].raw
        differs = [name for name in names if name != BASELINE and calls[name].raw != plain]
        out.append(
            {
                "id": case.id,
                "layer": case.layer,
                "identical": "on" not in differs,
                **(
                    {"identical_rows": {str(n): _rows_name(n) not in differs for n in rows}}
                    if rows
                    else {}
                ),
                **{name: _measured(calls[name], perf[name]) for name in names},
                # Every output that differs from plain decoding, and the plain one beside them.
                **{f"raw_{name}": calls[name].raw for name in differs},
                **({"raw_off": plain} if differs else {}),
                **(
                    {"baseline_identical": calls[BASELINE].raw == plain}
                    if BASELINE in calls
                    else {}
                ),
            }
        )
        print(
            f"{i + 1}/{len(cases)} {case.id}: "
            + " ".join(f"{name} {out[-1][name]['latency_s']}s" for name in names),
            file=sys.stderr,
        )
    return out


def limit_s(row: dict[str, Any], limit: dict[str, Any]) -> float:
    """Prompt processing for the new prompt tokens and the forced tokens, one decode per choice.

    At the speeds llama.cpp itself timed during the plain call of the same pair (its prompt
    batch, its single-token decodes), so load from other processes hits the limit and the call
    alike; the standalone pp/tg measurement stands in where that call timed no such work.
    """
    on, off = row["on"], row["off"]
    pp_s = (
        off["llama_pp_ms"] / 1000 / off["llama_pp_tokens"]
        if off.get("llama_pp_tokens")
        else 1 / limit["pp_tokens_per_s"]
    )
    tg_s = (
        off["llama_tg_ms"] / 1000 / off["llama_tg_tokens"]
        if off.get("llama_tg_tokens")
        else 1 / limit["tg_tokens_per_s"]
    )
    batched = on["prompt_tokens"] - on["cached_tokens"] + on["forced_tokens"]
    return batched * pp_s + on["decode_steps"] * tg_s


def _speedups(picked: list[dict[str, Any]], name: str, over: str = "off") -> list[float]:
    """Per pair: the plain call's latency (or ``over``'s) over the setting's."""
    return [r[over]["latency_s"] / r[name]["latency_s"] for r in picked]


def summarize(rows: list[dict[str, Any]], limit: dict[str, Any]) -> dict[str, Any]:
    def setting(name: str, picked: list[dict[str, Any]]) -> dict[str, Any]:
        latencies = [r[name]["latency_s"] for r in picked]
        return {
            **_summary(latencies),
            "cases_per_min": round(60 * len(picked) / sum(latencies), 1),
            "forward_passes_mean": round(
                statistics.fmean(r[name]["decode_steps"] for r in picked), 2
            ),
            "forced_tokens_mean": round(
                statistics.fmean(r[name]["forced_tokens"] for r in picked), 2
            ),
            "completion_tokens_mean": round(
                statistics.fmean(r[name]["completion_tokens"] for r in picked), 2
            ),
            "llama_share_of_latency": round(
                sum(r[name]["llama_ms"] for r in picked) / (1000 * sum(latencies)), 3
            ),
        }

    out: dict[str, Any] = {}
    for suite in ("all", *SUITES):
        picked = [r for r in rows if suite == "all" or r["layer"] == suite]
        if not picked:
            continue
        ratios = _speedups(picked, "on")
        limits = [limit_s(r, limit) for r in picked]
        on, off = setting("on", picked), setting("off", picked)
        out[suite] = {
            "calls": len(picked),
            "identical_outputs": sum(r["identical"] for r in picked),
            "on": on,
            "off": off,
            "speedup": round(statistics.median(ratios), 2),
            "speedup_p50": round(off["p50_s"] / on["p50_s"], 2),
            "speedup_p95": round(off["p95_s"] / on["p95_s"], 2),
            "forward_passes_saved_mean": round(
                off["forward_passes_mean"] - on["forward_passes_mean"], 2
            ),
            "throughput_ratio": round(on["cases_per_min"] / off["cases_per_min"], 2),
            "limit": {
                "p50_s": round(_pct(limits, 0.5), 4),
                "p95_s": round(_pct(limits, 0.95), 4),
                "on_over_limit": round(
                    statistics.median(
                        r["on"]["latency_s"] / lim for r, lim in zip(picked, limits, strict=False)
                    ),
                    2,
                ),
            },
            "goal": f">= {GOAL}x",
            "meets_goal": statistics.median(ratios) >= GOAL,
        }
        if all(BASELINE in r for r in picked):
            out[suite][BASELINE] = {
                "identical_outputs": sum(r["baseline_identical"] for r in picked),
                "speedup_of_on": round(statistics.median(_speedups(picked, "on", BASELINE)), 2),
                "speedup_of_off": round(statistics.median(_speedups(picked, "off", BASELINE)), 2),
                **setting(BASELINE, picked),
            }
        sizes = sorted({n for r in picked for n in r.get("identical_rows", {})}, key=int)
        if sizes:
            out[suite]["rows"] = {
                n: {
                    "identical_outputs": sum(r["identical_rows"][n] for r in picked),
                    "speedup": round(statistics.median(_speedups(picked, _rows_name(int(n)))), 2),
                    **setting(_rows_name(int(n)), picked),
                }
                for n in sizes
            }
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--gguf", type=Path, help="GGUF to measure (default: the nano Q4_K_M, built on demand)"
    )
    parser.add_argument("--out", type=Path, required=True, help="JSON results file")
    parser.add_argument("--cases", type=int, default=None, help="first N cases of each suite only")
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument(
        "--rows",
        type=int,
        action="append",
        default=[],
        help="also measure jump-forward with at most this many positions per decode (repeatable)",
    )
    parser.add_argument(
        "--baseline",
        type=Path,
        help="also decode plainly with this GGUF and the shipped llama.cpp settings, in the "
        "same rotation (e.g. the shipped quant, when --gguf is a requantized one)",
    )
    _kernels.add_arguments(parser, "--gguf")
    args = parser.parse_args(argv)
    if any(n < 1 for n in args.rows):
        parser.error("--rows takes a batch size of 1 or more (the plain 'on' setting is one batch)")

    from josi._io import atomic_write_json, sha256_file
    from josi.pytest_plugin import eval_runtime_config
    from josi.runtime import JosiRuntime

    if args.gguf:
        gguf = args.gguf
    else:
        from josi.pipeline import default_gguf

        gguf = default_gguf()
    cases = [c for suite in SUITES for c in interpreter_cases(suite)[: args.cases]]
    load_avg_start = os.getloadavg()
    started = time.perf_counter()
    config = dataclasses.replace(
        eval_runtime_config(gguf, n_threads=args.threads),
        **_kernels.settings(parser, args, gguf),
    )
    runtime = JosiRuntime(config)
    baseline = (
        JosiRuntime(eval_runtime_config(args.baseline, n_threads=args.threads))
        if args.baseline
        else None
    )
    try:
        limit = measure_limit(runtime)
        print(
            f"llama.cpp: pp {limit['pp_tokens_per_s']} tok/s, tg {limit['tg_tokens_per_s']} tok/s",
            file=sys.stderr,
        )
        for each in (runtime, baseline):
            if each is not None:
                _call(each, cases[0])  # saves the shared prompt prefix for every setting
        rows = run_pairs(runtime, cases, tuple(args.rows), baseline)
        limit_end = measure_limit(runtime)
        n_threads = runtime.engine.llm.n_threads
    finally:
        runtime.close()
        if baseline is not None:
            baseline.close()
    import llama_cpp

    results = {
        "model": {"path": str(gguf), "name": Path(gguf).name, "sha256": sha256_file(gguf)},
        **(
            {
                "baseline": {
                    "path": str(args.baseline),
                    "name": args.baseline.name,
                    "sha256": sha256_file(args.baseline),
                    "settings": "plain decoding, flash attention off, f16 KV cache",
                }
            }
            if args.baseline
            else {}
        ),
        "runtime": {
            "n_threads": n_threads,
            "prompt_style": runtime.config.prompt_style,
            "flash_attn": runtime.config.flash_attn,
            "kv_cache_type": runtime.config.kv_cache_type,
            "decoding": "greedy (the suites' eval_runtime_config)",
            "llama_cpp_python": llama_cpp.__version__,
        },
        "machine": machine(load_avg_start),
        "limit": {"start": limit, "end": limit_end},
        "summary": summarize(rows, limit),
        "calls": rows,
        "wall_s": round(time.perf_counter() - started, 1),
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    atomic_write_json(args.out, results)
    for suite, block in results["summary"].items():
        print(
            f"{suite}: {block['calls']} calls, identical {block['identical_outputs']}, "
            f"speedup {block['speedup']}x "
            f"(p50 {block['speedup_p50']}x, p95 {block['speedup_p95']}x), "
            f"forward passes {block['off']['forward_passes_mean']} "
            f"-> {block['on']['forward_passes_mean']}, "
            f"on/limit {block['limit']['on_over_limit']}x",
            file=sys.stderr,
        )
        for n, sized in block.get("rows", {}).items():
            print(
                f"  at most {n} rows per decode: identical {sized['identical_outputs']}, "
                f"speedup {sized['speedup']}x, forward passes {sized['forward_passes_mean']}",
                file=sys.stderr,
            )
        if BASELINE in block:
            base = block[BASELINE]
            print(
                f"  baseline (plain, shipped settings): identical {base['identical_outputs']}, "
                f"on {base['speedup_of_on']}x and off {base['speedup_of_off']}x faster",
                file=sys.stderr,
            )
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
