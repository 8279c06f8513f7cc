"""Served replicas behind pytest-xdist workers, end to end: the schema suite with one worker on
one server, then two workers on two servers (``--josi-endpoint URL1,URL2``); cases per minute
for each layout, and whether every case's outcome and raw interpreter output is the same.

    python -m benchmarks.served_xdist --out benchmarks/results/NAME.json [--gguf PATH]

Each server is llama-cpp-python's (``josi.runtime.LocalServer``) with one thread, set up as the
suites' in-process engine is; ``benchmarks/served_scale.py`` measures the same layouts with
threads instead of pytest processes.
"""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks import _served as served_bench

LAYOUTS = (("1x1", 1), ("2x2", 2))


def run_layout(gguf: Path, urls: list[str], workers: int, report: Path) -> dict[str, Any]:
    spread = ["-n", str(workers)] if workers > 1 else ["-p", "no:xdist"]
    cmd = [sys.executable, "-m", "pytest", "tests/schema", "--josi-gguf", str(gguf)]
    cmd += ["--josi-endpoint", ",".join(urls), "--josi-report", str(report)]
    cmd += ["-q", "-p", "no:cacheprovider", *spread]
    started = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    results = json.loads((report / "results.json").read_text(encoding="utf-8"))
    outcomes = {r["id"]: [r["passed"], r.get("interpreter_raw")] for r in results["records"]}
    return {
        "pytest_exit": proc.returncode,
        "wall_s": round(wall, 1),
        "cases": len(outcomes),
        "cases_per_min": round(60 * len(outcomes) / wall, 1),
        "workers": results["run"].get("workers"),
        "endpoints": results["run"].get("endpoints"),
        "outcomes": outcomes,
    }


def main(argv: list[str] | None = None) -> int:
    parser = served_bench.parser(__doc__)
    args = parser.parse_args(argv)

    from josi._io import atomic_write_json, sha256_file
    from josi.pytest_plugin import eval_runtime_config
    from josi.runtime import LocalServer

    gguf = served_bench.model(args.gguf)
    config = dataclasses.replace(eval_runtime_config(gguf, n_threads=1), score_actions=False)
    out: dict[str, Any] = {"model": {"path": str(gguf), "sha256": sha256_file(gguf)}}
    with (
        LocalServer(config) as one,
        LocalServer(config) as two,
        tempfile.TemporaryDirectory() as scratch,
    ):
        servers = [one.url, two.url]
        for name, workers in LAYOUTS:
            out[name] = run_layout(gguf, servers[:workers], workers, Path(scratch) / name)
    first, second = (out[name].pop("outcomes") for name, _ in LAYOUTS)
    out["identical_outcomes_and_interpreter_output"] = first == second
    out["speedup_2x2_over_1x1"] = round(
        out["2x2"]["cases_per_min"] / out["1x1"]["cases_per_min"], 2
    )
    out["created"] = time.strftime("%Y-%m-%dT%H:%M:%S%z")
    atomic_write_json(args.out, out)
    print(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
