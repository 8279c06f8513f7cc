"""The trainer arguments SFT and DPO share, read from the profile in one place.

trl's SFTConfig and DPOConfig both extend transformers' TrainingArguments; each stage
passes these and adds only the arguments of its own method.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from josi.training._profile import DpoSection, Profile, SftSection
from josi.training._tracking import wandb_enabled


def trainer_args(
    profile: Profile, stage: SftSection | DpoSection, out_dir: Path, *, run_name: str, on_gpu: bool
) -> dict[str, Any]:
    """Keyword arguments for trl's SFTConfig or DPOConfig from the stage's profile section."""
    return {
        "output_dir": str(out_dir / "checkpoints"),
        "max_length": stage.max_length,
        "per_device_train_batch_size": stage.batch_size,
        # On CPU one unpadded row at a time evaluates faster than a padded batch, which
        # takes the attention kernels' masked path (benchmarks/results/nano-batch-shape.json);
        # the validation loss is then the mean over rows, not over batches.
        "per_device_eval_batch_size": stage.batch_size if on_gpu else 1,
        "gradient_accumulation_steps": stage.grad_accum,
        "learning_rate": stage.learning_rate,
        "lr_scheduler_type": "cosine",
        "num_train_epochs": stage.epochs,
        "max_steps": stage.max_steps,
        # The best checkpoint by validation loss is restored at the end, so evaluations
        # and checkpoints both run on step counts.
        "eval_strategy": "steps",
        "eval_steps": stage.eval_steps,
        "save_strategy": "steps",
        "save_steps": stage.save_steps,
        "save_total_limit": stage.save_total_limit,
        "load_best_model_at_end": True,
        "metric_for_best_model": "eval_loss",
        "greater_is_better": False,
        "logging_steps": stage.logging_steps,
        "seed": stage.seed,
        # model.dtype decides the precision; float16 mixed precision is never used.
        "bf16": profile.model.dtype == "bfloat16",
        "fp16": False,
        "use_cpu": not on_gpu,
        "gradient_checkpointing": stage.gradient_checkpointing,
        "report_to": ["wandb"] if wandb_enabled(profile.tracking.wandb) else "none",
        "run_name": run_name,
        "disable_tqdm": True,
    }
