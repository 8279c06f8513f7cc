"""Runtime benchmarks on one GGUF, every ratio measured side by side in one process.

    python -m benchmarks.run --gguf PATH --out benchmarks/results/NAME.json [--cases N]

- throughput: full v6 turns (interpreter, router, coach when routed) in cases/min;
- prefix cache: the same interpreter call with the KV prefix reused vs evaluated from scratch
  (greedy, so both produce the same tokens); goal >= 2x;
- grammar: interpreter calls with the GBNF grammar vs without, with the unconstrained call
  capped at the same number of tokens so both decode equally long; goal <= 1.25x;
- latency p50/p95 per mode and resident memory (RSS sampled from /proc, not tracemalloc).

Ratios are medians of per-pair ratios (each pair runs back to back); means are kept too.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from benchmarks._machine import machine

HERE = Path(__file__).resolve().parent
PREFIX_GOAL = 2.0
GRAMMAR_GOAL = 1.25


def _rss_bytes() -> int:
    with open("/proc/self/statm", encoding="ascii") as handle:
        return int(handle.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


class RssPeak:
    """Peak resident set size over a block, sampled every few milliseconds."""

    def __init__(self, interval_s: float = 0.005) -> None:
        self.interval_s, self.peak, self._stop = interval_s, 0, threading.Event()

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, _rss_bytes())
            self._stop.wait(self.interval_s)

    @contextmanager
    def measure(self) -> Iterator[RssPeak]:
        self.peak, self._stop = _rss_bytes(), threading.Event()
        thread = threading.Thread(target=self._run, daemon=True)
        thread.start()
        try:
            yield self
        finally:
            self._stop.set()
            thread.join()
            self.peak = max(self.peak, _rss_bytes())


def _mb(n: int) -> float:
    return round(n / 2**20, 1)


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def _summary(values: list[float]) -> dict[str, float | int | None]:
    if not values:
        return {"n": 0, "mean_s": None, "p50_s": None, "p95_s": None}
    return {
        "n": len(values),
        "mean_s": round(statistics.fmean(values), 4),
        "p50_s": round(_pct(values, 0.5), 4),
        "p95_s": round(_pct(values, 0.95), 4),
    }


def _load_cases(path: Path, limit: int) -> list[dict[str, Any]]:
    rows = [
        json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()
    ]
    return rows[:limit]


def bench_throughput(runtime: Any, cases: list[dict[str, Any]], rss: RssPeak) -> dict[str, Any]:
    latencies: dict[str, list[float]] = {"interpreter": [], "coach": []}
    tokens: dict[str, list[int]] = {"interpreter": [], "coach": []}
    routes: dict[str, int] = {}
    parse_ok = 0
    with rss.measure():
        start = time.perf_counter()
        for case in cases:
            result = runtime.turn(case["context"], case["message"], case.get("history"))
            parse_ok += result.parse_ok
            routes[result.route.action] = routes.get(result.route.action, 0) + 1
            for call in result.calls:
                latencies[call.mode].append(call.latency_s)
                tokens[call.mode].append(call.completion_tokens)
        wall = time.perf_counter() - start
    return {
        "turns": len(cases),
        "wall_s": round(wall, 2),
        "cases_per_min": round(60 * len(cases) / wall, 2),
        "parse_ok_rate": round(parse_ok / len(cases), 3),
        "routes": routes,
        "latency": {mode: _summary(values) for mode, values in latencies.items()},
        "completion_tokens_mean": {
            mode: round(statistics.fmean(v), 1) if v else None for mode, v in tokens.items()
        },
        "peak_rss_mb": _mb(rss.peak),
    }


def _ratio(numerator: list[float], denominator: list[float]) -> float:
    """Median of per-pair ratios: pairs run back to back, so a burst of load from other
    processes hits both sides of a pair and cancels out."""
    return statistics.median(a / b for a, b in zip(numerator, denominator, strict=False))


def _paired(
    cases: list[dict[str, Any]],
    first: Callable[[dict[str, Any]], Any],
    second: Callable[[dict[str, Any], Any], Any],
) -> list[tuple[Any, Any]]:
    pairs = []
    for case in cases:
        a = first(case)
        pairs.append((a, second(case, a)))
    return pairs


def bench_prefix_cache(runtime: Any, cases: list[dict[str, Any]]) -> dict[str, Any]:
    on = runtime.with_config(deterministic=True)
    off = runtime.with_config(deterministic=True, prefix_cache=False)
    evict = runtime.with_config(deterministic=True, max_tokens=4)
    on.clear_cache()
    on.interpret(cases[0]["context"], cases[0]["message"])  # builds the saved prefix once

    def cached(case: dict[str, Any]) -> Any:
        # A coach call in between replaces the live cache, as in a real turn sequence,
        # so the interpreter prefix has to come back from its saved snapshot.
        evict.coach(case["context"], case["message"], "{}")
        return on.interpret(case["context"], case["message"])

    def uncached(case: dict[str, Any], _: Any) -> Any:
        return off.interpret(case["context"], case["message"])

    pairs = _paired(cases, cached, uncached)
    same = sum(a.raw == b.raw for a, b in pairs)
    lat_on = [a.stats.latency_s for a, _ in pairs]
    lat_off = [b.stats.latency_s for _, b in pairs]
    ratio = _ratio(lat_off, lat_on)
    return {
        "calls": len(pairs),
        "identical_outputs": same,
        "prompt_tokens_mean": round(statistics.fmean(a.stats.prompt_tokens for a, _ in pairs), 1),
        "cached_tokens_mean": round(statistics.fmean(a.stats.cached_tokens for a, _ in pairs), 1),
        "completion_tokens_mean": round(
            statistics.fmean(a.stats.completion_tokens for a, _ in pairs), 1
        ),
        "on": _summary(lat_on),
        "off": _summary(lat_off),
        "speedup": round(ratio, 2),
        "speedup_of_means": round(statistics.fmean(lat_off) / statistics.fmean(lat_on), 2),
        "goal": f">= {PREFIX_GOAL}x",
        "meets_goal": ratio >= PREFIX_GOAL,
    }


def bench_grammar(runtime: Any, cases: list[dict[str, Any]]) -> dict[str, Any]:
    on = runtime.with_config(deterministic=True)
    off = runtime.with_config(deterministic=True, use_grammar=False)
    on.interpret(cases[0]["context"], cases[0]["message"])  # saves the shared prefix for both

    def constrained(case: dict[str, Any]) -> Any:
        runtime.engine.drop_live_cache()  # both calls start from the saved prefix only
        return on.interpret(case["context"], case["message"])

    def free(case: dict[str, Any], first: Any) -> Any:
        runtime.engine.drop_live_cache()
        same_length = off.with_config(max_tokens=max(1, first.stats.completion_tokens))
        return same_length.interpret(case["context"], case["message"])

    pairs = _paired(cases, constrained, free)
    lat_on = [a.stats.latency_s for a, _ in pairs]
    lat_off = [b.stats.latency_s for _, b in pairs]
    ratio = _ratio(lat_on, lat_off)
    return {
        "calls": len(pairs),
        "tokens_on": sum(a.stats.completion_tokens for a, _ in pairs),
        "tokens_off": sum(b.stats.completion_tokens for _, b in pairs),
        "valid_json_on": sum(bool(a.parse.ok) for a, _ in pairs),
        "valid_json_off": sum(bool(b.parse.ok) for _, b in pairs),
        "parse_failures_on": [
            f"{a.stats.stopped}: {a.parse.reason}" for a, _ in pairs if not a.parse.ok
        ],
        "on": _summary(lat_on),
        "off": _summary(lat_off),
        "overhead": round(ratio, 3),
        "overhead_of_means": round(statistics.fmean(lat_on) / statistics.fmean(lat_off), 3),
        "goal": f"<= {GRAMMAR_GOAL}x",
        "meets_goal": ratio <= GRAMMAR_GOAL,
    }


def bench_modes(runtime: Any, cases: list[dict[str, Any]], rss: RssPeak) -> dict[str, Any]:
    """Each mode on every case, whatever the router would decide (the raw model rarely
    routes to the coach), at the v6 sampling parameters."""
    out: dict[str, Any] = {}
    interpreted = []
    with rss.measure():
        for case in cases:
            interpreted.append(runtime.interpret(case["context"], case["message"]))
    out["interpreter"] = {
        **_summary([c.stats.latency_s for c in interpreted]),
        "completion_tokens_mean": round(
            statistics.fmean(c.stats.completion_tokens for c in interpreted), 1
        ),
        "peak_rss_mb": _mb(rss.peak),
    }
    coached = []
    with rss.measure():
        for case, call in zip(cases, interpreted, strict=False):
            coached.append(runtime.coach(case["context"], case["message"], call.raw.strip()))
    # Latency is the model's: replies code writes (plan changes, unrealistic goals) cost nothing.
    by_code = sum(c.stats is None for c in coached)
    coached = [c for c in coached if c.stats is not None]
    out["coach"] = {
        **_summary([c.stats.latency_s for c in coached]),
        "answered_by_code": by_code,
        "completion_tokens_mean": round(
            statistics.fmean(c.stats.completion_tokens for c in coached), 1
        ),
        "garbled": sum(c.garbled for c in coached),
        "peak_rss_mb": _mb(rss.peak),
    }
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--gguf", type=Path, help="GGUF to measure (default: the nano Q4_K_M, built on demand)"
    )
    parser.add_argument(
        "--embedded", action="store_true", help="measure the raw SmolLM2 GGUF shipped in the wheel"
    )
    parser.add_argument("--out", type=Path, required=True, help="JSON results file")
    parser.add_argument("--cases", type=int, default=8, help="cases per benchmark (default: all 8)")
    parser.add_argument("--n-ctx", type=int, default=4096)
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args(argv)

    from josi._io import atomic_write_json, sha256_file
    from josi.runtime import JosiRuntime, RuntimeConfig, embedded_gguf

    if args.gguf:
        gguf = args.gguf
    elif args.embedded:
        gguf = embedded_gguf()
    else:
        from josi.pipeline import default_gguf

        gguf = default_gguf()
    cases = _load_cases(HERE / "cases.jsonl", args.cases)
    rss = RssPeak()
    load_avg_start = os.getloadavg()
    rss_before = _rss_bytes()
    with rss.measure():
        start = time.perf_counter()
        runtime = JosiRuntime(
            RuntimeConfig(gguf=gguf, n_ctx=args.n_ctx, n_threads=args.threads, seed=0)
        )
        load_s = time.perf_counter() - start
    load = {
        "load_s": round(load_s, 3),
        "rss_before_mb": _mb(rss_before),
        "rss_after_load_mb": _mb(_rss_bytes()),
        "peak_rss_mb": _mb(rss.peak),
    }
    print(f"loaded {gguf} in {load_s:.2f}s", file=sys.stderr)

    with rss.measure():
        prefix = bench_prefix_cache(runtime, cases)
    prefix["peak_rss_mb"] = _mb(rss.peak)
    print(f"prefix cache: {prefix['speedup']}x", file=sys.stderr)
    with rss.measure():
        grammar = bench_grammar(runtime, cases)
    grammar["peak_rss_mb"] = _mb(rss.peak)
    print(f"grammar overhead: {grammar['overhead']}x", file=sys.stderr)
    throughput = bench_throughput(runtime, cases, rss)
    print(f"throughput: {throughput['cases_per_min']} cases/min", file=sys.stderr)
    modes = bench_modes(runtime, cases, rss)
    print(
        f"p50 interpreter {modes['interpreter']['p50_s']}s, coach {modes['coach']['p50_s']}s",
        file=sys.stderr,
    )

    import llama_cpp

    results = {
        "model": {
            "path": str(gguf),
            "name": Path(gguf).name,
            "size_bytes": Path(gguf).stat().st_size,
            "sha256": sha256_file(gguf),
        },
        "runtime": {
            "n_ctx": args.n_ctx,
            "n_threads": runtime.engine.llm.n_threads,
            "n_threads_batch": runtime.engine.llm.n_threads_batch,
            "prompt_style": runtime.config.prompt_style,
            "llama_cpp_python": llama_cpp.__version__,
        },
        "machine": machine(load_avg_start),
        "cases": len(cases),
        "load": load,
        "prefix_cache": prefix,
        "grammar": grammar,
        "throughput": throughput,
        "latency_by_mode": modes,
        "memory": {
            "peak_rss_mb_overall": max(
                load["peak_rss_mb"],
                prefix["peak_rss_mb"],
                grammar["peak_rss_mb"],
                throughput["peak_rss_mb"],
                modes["interpreter"]["peak_rss_mb"],
                modes["coach"]["peak_rss_mb"],
            ),
            "note": "one model serves both modes; RSS sampled every 5 ms from /proc/self/statm",
        },
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    runtime.close()
    atomic_write_json(args.out, results)
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
