"""GPU readiness: the production profile's CUDA path, end to end, on a tiny random Qwen3.

Where CUDA is present this runs what `josi pipeline ship --profile qwen3-4b` runs on a GPU box,
on a Qwen3 of a few layers (josi.families) instead of Qwen3-4B: the base loaded in 4-bit NF4
(bitsandbytes, QLoRA), LoRA SFT steps with gradient checkpointing, the merge into bf16, llama.cpp
conversion and quantization, and one JosiRuntime turn in both modes with every layer offloaded,
next to the same turn on the CPU. It prints the timings and writes them as JSON.

Without CUDA it says so and writes a result that records nothing was measured.

    python benchmarks/gpu_smoke.py --out benchmarks/results/gpu-smoke.json
    python benchmarks/gpu_smoke.py --tokenizer DIR   # a checkpoint directory with a tokenizer
                                                      # (default: the nano base, from the wheel)
    python benchmarks/gpu_smoke.py --phase train --workdir W   # then --phase serve --workdir W:
                                                      # train while llama.cpp's GPU build compiles
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

# Tiny model, short run: what is measured is that each step works on the GPU and what it costs.
SFT_OVERRIDES = (
    "model.dtype=bfloat16",
    "model.qlora_on_cuda=true",
    "sft.max_steps=20",
    "sft.batch_size=4",
    "sft.grad_accum=1",
    "sft.eval_steps=10",
    "sft.save_steps=10",
    "sft.max_eval_examples=8",
    "sft.gradient_checkpointing=true",
    'export.quants=["Q4_K_M"]',
    'export.merge_dtype="bfloat16"',
)
MESSAGE = "Why is today an easy day?"


def _timed(timings: dict[str, float], name: str, fn, *args, **kwargs):
    started = time.perf_counter()
    try:
        return fn(*args, **kwargs)
    finally:
        timings[name] = round(time.perf_counter() - started, 2)
        print(f"{name}: {timings[name]} s", flush=True)


def _environment(*, with_torch: bool = True) -> dict[str, Any]:
    import importlib.metadata as md

    info: dict[str, Any] = {"python": platform.python_version()}
    if with_torch:
        import torch

        info["torch"] = torch.__version__
        info["cuda"] = torch.version.cuda
        info["device"] = torch.cuda.get_device_name(0) if torch.cuda.is_available() else None
    for package in ("transformers", "peft", "trl", "bitsandbytes", "llama-cpp-python"):
        try:
            info[package] = md.version(package)
        except md.PackageNotFoundError:
            info[package] = None
    try:
        import llama_cpp

        info["llama_gpu_offload"] = bool(llama_cpp.llama_supports_gpu_offload())
    except ImportError:
        info["llama_gpu_offload"] = None
    return info


def _gpu_present(phase: str) -> bool:
    if phase == "serve":
        # The serving phase never imports torch: on one H200 a serving process that had loaded
        # torch's bundled CUDA libraries before llama.cpp's segfaulted at the first offloaded
        # turn, and passed without them (benchmarks/results/gpu-smoke-h200.json).
        import llama_cpp

        return bool(llama_cpp.llama_supports_gpu_offload())
    import torch

    return torch.cuda.is_available()


def _dataset(root: Path) -> Path:
    from josi._io import atomic_write_jsonl
    from josi.data import BuildConfig, write_dataset

    full = root / "data-full"
    write_dataset(full, BuildConfig(seed=0, scale=0.05))
    subset = root / "data"
    for mode in ("interpreter", "coach"):
        for split, n in (("train", 64), ("val", 8)):
            lines = (full / f"{mode}.{split}.jsonl").read_text(encoding="utf-8").splitlines()
            atomic_write_jsonl(subset / f"{mode}.{split}.jsonl", [json.loads(x) for x in lines[:n]])
    return subset


def _count_4bit(profile, base: Path) -> int:
    from josi.training._sft import load_model

    model = load_model(profile, base, gradient_checkpointing=True)
    return sum(1 for m in model.modules() if type(m).__name__ == "Linear4bit")


def _turn(gguf: Path, n_gpu_layers: int, ctx: dict[str, Any]) -> dict[str, Any]:
    from josi.runtime import JosiRuntime, RuntimeConfig

    config = RuntimeConfig(
        gguf=gguf, deterministic=True, seed=0, n_ctx=4096, max_tokens=64, n_gpu_layers=n_gpu_layers
    )
    with JosiRuntime(config) as runtime:
        started = time.perf_counter()
        result = runtime.turn(ctx, MESSAGE)
        coach = runtime.coach(ctx, MESSAGE, result.interpreter_raw)
        wall = time.perf_counter() - started
    return {
        "n_gpu_layers": n_gpu_layers,
        "interpreter_raw": result.interpreter_raw,
        "coach_raw": coach.raw,
        "interpreter_tokens": result.calls[0].completion_tokens,
        "coach_tokens": coach.stats.completion_tokens if coach.stats else 0,
        "turn_and_coach_s": round(wall, 3),
    }


PHASES = ("all", "train", "serve")
STATE = "gpu_smoke_state.json"


def train_phase(workdir: Path, tokenizer: Path | None) -> dict[str, Any]:
    """QLoRA SFT on the tiny Qwen3 and the bf16 merge: needs CUDA, torch and bitsandbytes."""
    import torch

    from josi.export import merge_adapter
    from josi.families import build_tiny_checkpoint
    from josi.training import load_profile, train_sft

    timings: dict[str, float] = {}
    data = _timed(timings, "dataset", _dataset, workdir)
    base = _timed(
        timings,
        "build_tiny_qwen3",
        build_tiny_checkpoint,
        "qwen3",
        workdir / "base",
        tokenizer_from=tokenizer,
    )
    profile = load_profile("qwen3-4b", [f"model.base={base}", *SFT_OVERRIDES])
    result: dict[str, Any] = {"device": torch.cuda.get_device_name(0)}
    result["linear4bit_modules"] = _timed(timings, "load_4bit", _count_4bit, profile, base)
    torch.cuda.reset_peak_memory_stats()
    adapter = _timed(timings, "qlora_sft", train_sft, profile, data, workdir / "run")
    result["sft_peak_gpu_mib"] = round(torch.cuda.max_memory_allocated() / 2**20, 1)
    record = json.loads((adapter.parent / "run.json").read_text(encoding="utf-8"))
    result["sft"] = {
        key: record.get(key)
        for key in ("device", "global_step", "train_loss", "best_eval_loss", "tokens_seen")
    }
    merged = _timed(timings, "merge_bf16", merge_adapter, profile, adapter)
    result["merged_dtype"] = json.loads((merged / "config.json").read_text())["dtype"]
    result["timings_s"] = timings
    state = {"base": str(base), "adapter": str(adapter), "data": str(data), "result": result}
    (workdir / STATE).write_text(json.dumps(state), encoding="utf-8")
    return result


def serve_phase(workdir: Path) -> dict[str, Any]:
    """Convert, quantize, and one turn offloaded and on the CPU: needs a GPU llama.cpp build."""
    from josi.export import export
    from josi.training import load_profile

    state = json.loads((workdir / STATE).read_text(encoding="utf-8"))
    result = dict(state["result"])
    timings = dict(result.pop("timings_s"))
    profile = load_profile("qwen3-4b", [f"model.base={state['base']}", *SFT_OVERRIDES])
    paths = _timed(
        timings, "convert_quantize", export, profile, Path(state["adapter"]), workdir / "dist"
    )
    result["exported"] = [p.name for p in paths]
    gguf = next(p for p in paths if p.name.endswith("-q4_k_m.gguf"))
    rows = (Path(state["data"]) / "coach.train.jsonl").read_text(encoding="utf-8")
    ctx = json.loads(rows.splitlines()[0])["context"]
    cpu = _timed(timings, "turn_cpu", _turn, gguf, 0, ctx)
    gpu = _timed(timings, "turn_gpu_offload_all", _turn, gguf, -1, ctx)
    result["turn"] = {"gpu": gpu, "cpu": cpu}
    result["gpu_cpu_identical_greedy"] = (
        gpu["interpreter_raw"] == cpu["interpreter_raw"] and gpu["coach_raw"] == cpu["coach_raw"]
    )
    result["timings_s"] = timings
    return result


def run(phase: str, tokenizer: Path | None, workdir: Path) -> dict[str, Any]:
    result: dict[str, Any] = {"benchmark": "gpu_smoke", "phase": phase}
    with_torch = phase != "serve"
    if not _gpu_present(phase):
        result.update(environment=_environment(with_torch=with_torch), measured=False)
        result["reason"] = "no CUDA device (or no GPU build of llama.cpp): nothing measured"
        print(result["reason"])
        return result
    # Stage caches live with the run, so every step really runs.
    os.environ.setdefault("JOSI_CACHE", str(workdir / "cache"))
    if phase in ("all", "train"):
        result.update(train_phase(workdir, tokenizer))
    if phase in ("all", "serve"):
        result.update(serve_phase(workdir))
    result.setdefault("environment", {}).update(_environment(with_torch=with_torch))
    result["measured"] = True
    return result


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks/results/gpu-smoke.json")
    parser.add_argument("--tokenizer", type=Path, default=None)
    parser.add_argument(
        "--phase",
        choices=PHASES,
        default="all",
        help="train: QLoRA SFT and merge; serve: export and the turns (same --workdir)",
    )
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args(argv)
    if args.phase != "all" and args.workdir is None:
        parser.error("--phase train|serve needs --workdir, which the two phases share")
    with tempfile.TemporaryDirectory() as scratch:
        workdir = args.workdir or Path(scratch)
        workdir.mkdir(parents=True, exist_ok=True)
        result = run(args.phase, args.tokenizer, workdir)
    from josi._io import atomic_write_json

    args.out.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_json(args.out, result)
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
