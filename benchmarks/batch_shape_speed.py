"""Seconds per training step and per validation pass: padded batches of 4 rows against
unpadded single rows, side by side in one run.

    python -m benchmarks.batch_shape_speed --data DIR --out benchmarks/results/NAME.json
        [--steps 10] [--rounds 2]

Training: a batch of 4 rows against 4 accumulated rows of 1. Both make the same optimizer steps
over the same rows in the same order (the length buckets group rows by the rows per update), and
an accumulated step's loss is normalised by the label tokens of the whole update, so they differ
only in how the CPU runs the passes. Step times are read between step ends, so model loading,
trainer setup and the final checkpoint save are not counted.

Validation: the profile's fixed validation subset at eval batch 4 and at eval batch 1.

Settings run in rotation, so machine load falls on each alike.
"""

from __future__ import annotations

import itertools
import os
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks.finetune_speed import (
    in_rotation,
    median_by_setting,
    ratios_to,
    run_header,
    short_run_profile,
    speed_args,
)

TRAIN = {
    "batch4_accum1": ["sft.batch_size=4", "sft.grad_accum=1"],
    "batch1_accum4": ["sft.batch_size=1", "sft.grad_accum=4"],
}
EVAL_BATCHES = (4, 1)


def train_steps(data: Path, overrides: list[str], steps: int) -> dict[str, Any]:
    """Seconds of each optimizer step of one short run, and the tokens it trained on."""
    import transformers

    from josi.training._sft import build_sft_trainer

    class StepClock(transformers.TrainerCallback):
        def __init__(self) -> None:
            self.marks: list[float] = []

        def on_train_begin(self, *args: Any, **kwargs: Any) -> None:
            self.marks.append(time.monotonic())

        def on_step_end(self, *args: Any, **kwargs: Any) -> None:
            self.marks.append(time.monotonic())

    with tempfile.TemporaryDirectory() as scratch:
        profile = short_run_profile(overrides, steps)
        trainer, _ = build_sft_trainer(profile, data, Path(scratch), mode="joint")
        trainer.args.load_best_model_at_end = False
        clock = StepClock()
        trainer.add_callback(clock)
        trainer.train()
    seconds = [round(b - a, 2) for a, b in itertools.pairwise(clock.marks)]
    tokens = int(trainer.state.num_input_tokens_seen or 0)
    return {"step_seconds": seconds, "tokens": tokens, "tokens_per_second": tokens / sum(seconds)}


def eval_seconds(data: Path, rounds: int) -> dict[str, list[dict[str, float]]]:
    """One trainer, its validation subset evaluated at each batch size in rotation."""
    from josi.training._sft import build_sft_trainer

    runs: dict[str, list[dict[str, float]]] = {f"eval_batch{b}": [] for b in EVAL_BATCHES}
    with tempfile.TemporaryDirectory() as scratch:
        trainer, _ = build_sft_trainer(short_run_profile([], 1), data, Path(scratch), mode="joint")
        for _ in range(rounds):
            for batch in EVAL_BATCHES:
                trainer.args.per_device_eval_batch_size = batch
                started = time.monotonic()
                metrics = trainer.evaluate()
                run = {
                    "seconds": round(time.monotonic() - started, 2),
                    "eval_loss": metrics["eval_loss"],
                }
                runs[f"eval_batch{batch}"].append(run)
                print(batch, run, flush=True)
    return runs


def summary(
    train: dict[str, list[dict[str, Any]]],
    evals: dict[str, list[dict[str, float]]],
    args: Any,
    load_start: Any,
) -> dict[str, Any]:
    train_median = median_by_setting(train, "tokens_per_second")
    eval_median = median_by_setting(evals, "seconds")
    return {
        **run_header(args, load_start),
        "train": train,
        "train_median_tokens_per_second": {k: round(v, 1) for k, v in train_median.items()},
        "train_ratio_to_batch4": ratios_to(train_median, "batch4_accum1"),
        "eval": evals,
        "eval_median_seconds": eval_median,
        "eval_speedup_of_batch1": (
            round(eval_median["eval_batch4"] / eval_median["eval_batch1"], 3)
            if len(eval_median) == len(EVAL_BATCHES)
            else None
        ),
    }


def main(argv: list[str] | None = None) -> int:
    args = speed_args(__doc__, 10, argv)
    from josi._io import atomic_write_json

    load_start = os.getloadavg()
    evals = eval_seconds(args.data, args.rounds + 1)
    atomic_write_json(args.out, summary({name: [] for name in TRAIN}, evals, args, load_start))
    in_rotation(
        TRAIN,
        args.rounds,
        lambda overrides: train_steps(args.data, overrides, args.steps),
        lambda runs: atomic_write_json(args.out, summary(runs, evals, args, load_start)),
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
