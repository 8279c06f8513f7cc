"""The served model against the in-process runtime, case by case, on the same GGUF.

    python -m benchmarks.served_parity --out benchmarks/results/NAME.json [--gguf PATH] [--cases N]

Starts llama-cpp-python's server on the GGUF (``josi.runtime.LocalServer``: the in-process
engine's context, batch sizes, seed and threads), then runs every schema and golden case
through the suites' runner (``josi.evals.run_case``, greedy, the suites' runtime config) once
in-process and once on the server, and compares the raw text of every model call the case
made, interpreter and coach alike. llama-cpp-python's server has no DRY sampler, so a coach
call is also compared with an in-process run that has DRY off: that pair isolates what the
transport changes from what the missing sampler changes.
"""

from __future__ import annotations

import dataclasses
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks import _served as served_bench
from benchmarks._machine import machine

SUITES = ("schema", "golden")


class Recorder:
    """An engine that passes every call through and keeps each call's (mode, raw text)."""

    def __init__(self, engine: Any) -> None:
        self._engine = engine
        self.calls: list[tuple[str, str]] = []

    def generate(self, ids: list[int], **kwargs: Any) -> Any:
        gen = self._engine.generate(ids, **kwargs)
        self.calls.append((kwargs.get("mode", ""), gen.text))
        return gen

    def __getattr__(self, name: str) -> Any:
        return getattr(self._engine, name)


def parity_config(config: Any) -> Any:
    """``config`` as both sides of the comparison run it: without the action scoring a served
    model cannot do, so with the model's own confidence (the raw text does not depend on it)."""
    return dataclasses.replace(config, score_actions=False, confidence_source="self")


def raw_calls(runtime: Any, case: Any) -> list[tuple[str, str]]:
    """The (mode, raw text) of every model call ``case`` makes on ``runtime``."""
    from josi.evals import run_case
    from josi.runtime import JosiRuntime

    recorder = Recorder(runtime.engine)
    run_case(JosiRuntime(runtime.config, _engine=recorder), case)
    return recorder.calls


def compare(
    local: list[tuple[str, str]],
    served: list[tuple[str, str]],
    local_no_dry: list[tuple[str, str]] | None,
) -> dict[str, Any]:
    """Per mode: whether the served calls equal the in-process ones (and DRY-off ones)."""

    def texts(calls: list[tuple[str, str]] | None, mode: str) -> list[str] | None:
        return None if calls is None else [text for m, text in calls if m == mode]

    row: dict[str, Any] = {}
    for mode in ("interpreter", "coach"):
        mine, theirs = texts(local, mode), texts(served, mode)
        if not mine and not theirs:
            continue
        row[mode] = {"identical": mine == theirs}
        if mode == "coach" and local_no_dry is not None:
            row[mode]["identical_dry_off"] = texts(local_no_dry, mode) == theirs
        if mine != theirs:
            row[mode]["local"], row[mode]["served"] = mine, theirs
    row["identical"] = local == served
    return row


def summarize(rows: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for suite in ("all", *SUITES):
        picked = [r for r in rows if suite == "all" or r["layer"] == suite]
        if not picked:
            continue
        block: dict[str, Any] = {
            "cases": len(picked),
            "identical": sum(r["identical"] for r in picked),
            "differ": [r["id"] for r in picked if not r["identical"]],
        }
        for mode in ("interpreter", "coach"):
            calls = [r[mode] for r in picked if mode in r]
            if not calls:
                continue
            block[mode] = {
                "cases": len(calls),
                "identical": sum(c["identical"] for c in calls),
                "differ": [r["id"] for r in picked if mode in r and not r[mode]["identical"]],
            }
            if mode == "coach":
                block[mode]["identical_dry_off"] = sum(
                    c.get("identical_dry_off", False) for c in calls
                )
        out[suite] = block
    return out


def main(argv: list[str] | None = None) -> int:
    parser = served_bench.parser(__doc__)
    parser.add_argument("--cases", type=int, default=None, help="first N cases of each suite only")
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args(argv)

    from josi._io import atomic_write_json, sha256_file
    from josi.evals import load_cases
    from josi.pytest_plugin import eval_runtime_config
    from josi.runtime import JosiRuntime, LocalServer

    gguf = served_bench.model(args.gguf)
    config = parity_config(eval_runtime_config(gguf, n_threads=args.threads))
    cases = [c for suite in SUITES for c in load_cases(suite)[: args.cases]]
    started = time.perf_counter()
    rows = []
    with LocalServer(config) as server:
        local = JosiRuntime(config)
        served = JosiRuntime(dataclasses.replace(config, endpoint=server.url))
        no_dry = local.with_config(coach_dry_multiplier=0.0)
        try:
            for n, case in enumerate(cases, 1):
                mine, theirs = raw_calls(local, case), raw_calls(served, case)
                ran_coach = any(mode == "coach" for mode, _ in mine)
                row = compare(mine, theirs, raw_calls(no_dry, case) if ran_coach else None)
                rows.append({"id": case.id, "layer": case.layer, **row})
                if n % 25 == 0:
                    print(f"{n}/{len(cases)} cases", file=sys.stderr)
            kind, unsupported = served.engine.kind, sorted(served.engine.unsupported)
        finally:
            served.close()
            local.close()
        command = LocalServer(config, port=server.port).command()[1:]
    import llama_cpp

    results = {
        "model": {"path": str(gguf), "name": Path(gguf).name, "sha256": sha256_file(gguf)},
        "runtime": {
            "decoding": "greedy (the suites' eval_runtime_config, action scoring off)",
            "prompt_style": config.prompt_style,
            "llama_cpp_python": llama_cpp.__version__,
        },
        "server": {"kind": kind, "command": command, "unsupported": unsupported},
        "machine": machine(),
        "summary": summarize(rows),
        "cases": rows,
        "wall_s": round(time.perf_counter() - started, 1),
        "created": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    atomic_write_json(args.out, results)
    for suite, block in results["summary"].items():
        parts = [f"{suite}: {block['identical']}/{block['cases']} cases identical"]
        for mode in ("interpreter", "coach"):
            if mode in block:
                parts.append(f"{mode} {block[mode]['identical']}/{block[mode]['cases']}")
        if "coach" in block:
            parts.append(f"coach vs DRY off {block['coach']['identical_dry_off']}")
        print(", ".join(parts), file=sys.stderr)
    print(f"wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
