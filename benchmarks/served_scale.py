"""Eval throughput on served models: 1 worker on 1 server against 2 workers on 2 servers.

    python -m benchmarks.served_scale --out benchmarks/results/NAME.json [--gguf PATH] [--cases N]

Each layout starts its llama-cpp-python servers (``josi.runtime.LocalServer``, the machine's
cores split evenly between them, as the pytest plugin splits them between xdist workers), then
runs the same schema cases through the suites' runner, greedy, the cases dealt round-robin
to the workers, each worker on its own server as ``--josi-endpoint`` assigns them. The
layouts alternate (1, 2, 1, 2, ...) in one run, so load from elsewhere hits both alike; the
ratio is of the summed wall times. The client only renders, parses and waits, so the
servers' cores are the limit: on a 2-core machine little gain is expected.
"""

from __future__ import annotations

import dataclasses
import os
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from benchmarks import _served as served_bench
from benchmarks._machine import machine

LAYOUTS = (1, 2)  # workers, each with its own server


def run_layout(config: Any, cases: list[Any], workers: int) -> dict[str, Any]:
    """Wall time of ``cases`` on ``workers`` servers, one worker each; per-case raw outputs."""
    from josi.evals import run_case
    from josi.runtime import JosiRuntime, LocalServer

    threads = max(1, (os.cpu_count() or 1) // workers)
    with ExitStack() as stack:
        servers = [
            stack.enter_context(LocalServer(dataclasses.replace(config, n_threads=threads)))
            for _ in range(workers)
        ]
        runtimes = [
            stack.enter_context(JosiRuntime(dataclasses.replace(config, endpoint=s.url)))
            for s in servers
        ]
        shares = [cases[w::workers] for w in range(workers)]

        def work(w: int) -> list[tuple[str, str]]:
            return [(c.id, run_case(runtimes[w], c).interpreter_raw or "") for c in shares[w]]

        started = time.perf_counter()
        with ThreadPoolExecutor(workers) as pool:
            outputs = [row for rows in pool.map(work, range(workers)) for row in rows]
        wall = time.perf_counter() - started
    return {
        "workers": workers,
        "servers": workers,
        "threads_per_server": threads,
        "cases": len(cases),
        "wall_s": round(wall, 2),
        "cases_per_min": round(60 * len(cases) / wall, 2),
        "outputs": dict(outputs),
    }


def summarize(runs: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for workers in LAYOUTS:
        mine = [r for r in runs if r["workers"] == workers]
        if not mine:
            continue
        cases, wall = sum(r["cases"] for r in mine), sum(r["wall_s"] for r in mine)
        out[f"{workers}x{workers}"] = {
            "repeats": len(mine),
            "cases_per_min": round(60 * cases / wall, 2),
            "runs_cases_per_min": [r["cases_per_min"] for r in mine],
        }
    if len(out) == len(LAYOUTS):
        one, two = out["1x1"]["cases_per_min"], out["2x2"]["cases_per_min"]
        out["speedup_2x2_over_1x1"] = round(two / one, 2)
        outputs = [r["outputs"] for r in runs]
        out["outputs_identical_across_runs"] = all(o == outputs[0] for o in outputs)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = served_bench.parser(__doc__)
    parser.add_argument("--cases", type=int, default=16, help="schema cases per run (default 16)")
    parser.add_argument("--repeats", type=int, default=2, help="runs of each layout (default 2)")
    args = parser.parse_args(argv)

    from josi._io import atomic_write_json, sha256_file
    from josi.evals import load_cases
    from josi.pytest_plugin import eval_runtime_config

    gguf = served_bench.model(args.gguf)
    config = eval_runtime_config(gguf, endpoint="http://127.0.0.1:1")  # the served eval config
    config = dataclasses.replace(config, endpoint=None)
    cases = [c for c in load_cases("schema") if c.run == "interpret"][: args.cases]
    load_avg_start = os.getloadavg()
    started = time.perf_counter()
    runs = []
    for _ in range(args.repeats):
        for workers in LAYOUTS:
            run = run_layout(config, cases, workers)
            print(
                f"{workers} worker(s) x {workers} server(s): {run['cases_per_min']} cases/min",
                file=sys.stderr,
            )
            runs.append(run)
    import llama_cpp

    results = {
        "model": {"path": str(gguf), "name": Path(gguf).name, "sha256": sha256_file(gguf)},
        "runtime": {
            "decoding": "greedy (the suites' eval_runtime_config for a served model)",
            "server": "llama-cpp-python (python -m llama_cpp.server), one per worker",
            "llama_cpp_python": llama_cpp.__version__,
            "cases": f"the first {len(cases)} interpreter cases of the schema suite",
        },
        "machine": machine(load_avg_start),
        "summary": summarize(runs),
        "runs": [{k: v for k, v in r.items() if k != "outputs"} for r in runs],
        "wall_s": round(time.perf_counter() - started, 1),
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    atomic_write_json(args.out, results)
    print(f"summary: {results['summary']}", file=sys.stderr)
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
