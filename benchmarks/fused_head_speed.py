"""Training tokens per second with trl's fused LM head projecting every position against only the
labelled ones, side by side in one run, on the shipped nano recipe.

    python -m benchmarks.fused_head_speed --data DIR --out benchmarks/results/NAME.json
        [--steps 8] [--rounds 2]

Each setting trains the same first rows of the profile's training order for a few steps, in
rotation, so machine load falls on both alike. Each run keeps its per-step training losses: the
two settings compute the same loss, so the first steps agree to every digit, and later ones part
only as far as Adam amplifies float32 sums taken in another order.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from benchmarks import finetune_speed
from benchmarks.finetune_speed import (
    median_by_setting,
    ratios_to,
    rotation_main,
    run_header,
)

SETTINGS = {
    "every_position": ["sft.lm_head_labelled_only=false"],
    "labelled_positions": ["sft.lm_head_labelled_only=true"],
}


def measure(data: Path, overrides: list[str], steps: int) -> dict[str, Any]:
    """One short training run of the shipped recipe, a loss logged at every step; it fails if the
    head did not project the positions its setting names."""
    from josi.training._fused_head import projects_every_position

    every_step = [*overrides, "sft.logging_steps=1"]
    result = finetune_speed.measure(data, every_step, steps)
    # The builder's choice holds for the process, so it still shows after the run.
    every = projects_every_position()
    if every == finetune_speed.short_run_profile(every_step, steps).sft.lm_head_labelled_only:
        raise RuntimeError(f"{overrides}: the head projected every position = {every}")
    return result


def summary(runs: dict[str, list[dict[str, Any]]], args: Any, load_start: Any) -> dict[str, Any]:
    median = median_by_setting(runs, "tokens_per_second")
    pairs = list(zip(runs["every_position"], runs["labelled_positions"], strict=False))
    return {
        **run_header(args, load_start),
        "runs": runs,
        "median_tokens_per_second": {k: round(v, 1) for k, v in median.items()},
        "ratio_to_every_position": ratios_to(median, "every_position"),
        "max_loss_difference": max(
            (abs(a - b) for x, y in pairs for a, b in zip(x["losses"], y["losses"], strict=True)),
            default=None,
        ),
    }


def main(argv: list[str] | None = None) -> int:
    return rotation_main(__doc__, SETTINGS, measure, summary, argv)


if __name__ == "__main__":
    raise SystemExit(main())
