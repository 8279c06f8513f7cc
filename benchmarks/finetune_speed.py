"""Training tokens per second for LoRA and for full fine-tuning, side by side in one run.

    python -m benchmarks.finetune_speed --data DIR --out benchmarks/results/NAME.json
        [--steps 8] [--rounds 2] [--settings full_bf16_autocast,full_float32]

Each setting trains the same first rows of the profile's training order for a few steps, in
rotation (LoRA, full fine-tuning under bfloat16 autocast, full fine-tuning in float32), so
machine load falls on every setting alike. The ratio of tokens per second is what sets the
step budget of a full fine-tune at a LoRA run's wall time.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

# A full fine-tune has no LoRA to export, so the profile refuses the adapter GGUF with it; the
# export knob does not touch training.
# Each setting names its kind, so the comparison holds whichever one nano's profile trains.
FULL = ["sft.full_finetune=true", "export.adapter_gguf=false"]
LORA = ["sft.full_finetune=false", "export.adapter_gguf=true"]
SETTINGS = {
    "lora_bf16": LORA,
    "full_bf16_autocast": FULL,
    "full_float32": [*FULL, "model.dtype=float32"],
}


def short_run_profile(overrides: list[str], steps: int) -> Any:
    """nano with the overrides, trained for ``steps`` steps with no evaluation or checkpoint."""
    from josi.training import load_profile

    return load_profile(
        "nano",
        [
            *overrides,
            f"sft.max_steps={steps}",
            f"sft.eval_steps={steps * 10}",
            f"sft.save_steps={steps * 10}",
            "sft.early_stopping_patience=0",
        ],
    )


def median_by_setting(runs: dict[str, list[dict[str, Any]]], field: str) -> dict[str, float]:
    """Each setting's median of ``field`` over its runs (settings with no run left out)."""
    return {
        name: statistics.median(r[field] for r in results)
        for name, results in runs.items()
        if results
    }


def ratios_to(median: dict[str, float], reference: str) -> dict[str, float]:
    """Each setting's median over the reference setting's (empty until the reference has run)."""
    if reference not in median:
        return {}
    return {name: round(value / median[reference], 3) for name, value in median.items()}


def measure(data: Path, overrides: list[str], steps: int) -> dict[str, Any]:
    """One short training run: its tokens, the seconds trainer.train took and the training losses
    it logged."""
    from josi.training._sft import build_sft_trainer

    profile = short_run_profile(overrides, steps)
    with tempfile.TemporaryDirectory() as scratch:
        trainer, _ = build_sft_trainer(profile, data, Path(scratch), mode="joint")
        trainer.args.load_best_model_at_end = False
        # Training steps only: a step-based run also evaluates and saves at its last step, which
        # took 41 s of a 131 s float32 run on a 2-core AVX2 CPU and most of a bfloat16 one.
        trainer.args.eval_strategy = "no"
        trainer.args.save_strategy = "no"
        started = time.monotonic()
        trainer.train()
        seconds = time.monotonic() - started
    tokens = int(trainer.state.num_input_tokens_seen or 0)
    return {
        "tokens": tokens,
        "seconds": round(seconds, 2),
        "tokens_per_second": tokens / seconds,
        "losses": [row["loss"] for row in trainer.state.log_history if "loss" in row],
    }


def run_header(args: Any, load_start: Any) -> dict[str, Any]:
    """The machine and the run lengths every speed benchmark's JSON starts with."""
    from benchmarks._machine import machine

    return {"machine": machine(load_start), "steps_per_run": args.steps, "rounds": args.rounds}


def summary(runs: dict[str, list[dict[str, Any]]], args: Any, load_start: Any) -> dict[str, Any]:
    median = median_by_setting(runs, "tokens_per_second")
    return {
        **run_header(args, load_start),
        "runs": runs,
        "median_tokens_per_second": {k: round(v, 1) for k, v in median.items()},
        "ratio_to_lora": ratios_to(median, "lora_bf16"),
    }


def speed_args(doc: str, steps: int, argv: list[str] | None) -> argparse.Namespace:
    """The command line the speed benchmarks share: data, output, steps per run, rounds."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--data", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--steps", type=int, default=steps)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument(
        "--settings",
        help="comma-separated names of the settings to run (default: all), to leave out one "
        "that would take hours on this machine",
    )
    return parser.parse_args(argv)


def chosen_settings(settings: dict[str, list[str]], names: str | None) -> dict[str, list[str]]:
    """The settings ``--settings`` names, in the benchmark's own order; all without it."""
    if not names:
        return settings
    wanted = [name.strip() for name in names.split(",") if name.strip()]
    unknown = sorted(set(wanted) - set(settings))
    if unknown or not wanted:
        known = sorted(settings)
        raise SystemExit(f"--settings: unknown {unknown or names!r}; choose from {known}")
    return {name: overrides for name, overrides in settings.items() if name in wanted}


def in_rotation(
    settings: dict[str, list[str]],
    rounds: int,
    run: Callable[[list[str]], dict[str, Any]],
    save: Callable[[dict[str, list[dict[str, Any]]]], None],
) -> dict[str, list[dict[str, Any]]]:
    """Each setting's overrides run once per round, in the same order, so machine load falls on
    every setting alike. ``save`` gets the runs after each one, so a stopped benchmark keeps what
    it measured."""
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in settings}
    for _ in range(rounds):
        for name, overrides in settings.items():
            runs[name].append(run(overrides))
            print(name, runs[name][-1], flush=True)
            save(runs)
    return runs


def rotation_main(
    doc: str,
    settings: dict[str, list[str]],
    measure_one: Callable[[Path, list[str], int], dict[str, Any]],
    summarize: Callable[[dict[str, list[dict[str, Any]]], Any, Any], dict[str, Any]],
    argv: list[str] | None,
) -> int:
    """A speed benchmark's command: its settings in rotation, the summary written after each run."""
    args = speed_args(doc, 8, argv)
    from josi._io import atomic_write_json

    load_start = os.getloadavg()
    in_rotation(
        chosen_settings(settings, args.settings),
        args.rounds,
        lambda overrides: measure_one(args.data, overrides, args.steps),
        lambda runs: atomic_write_json(args.out, summarize(runs, args, load_start)),
    )
    return 0


def main(argv: list[str] | None = None) -> int:
    return rotation_main(__doc__, SETTINGS, measure, summary, argv)


if __name__ == "__main__":
    raise SystemExit(main())
