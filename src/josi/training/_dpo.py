"""Preference tuning (DPO) with trl's DPOTrainer, continuing the SFT adapter.

The SFT adapter is loaded trainable; trl keeps a frozen copy of it as the
reference ("ref" adapter), so the KL anchor is the SFT model and the result is
still one LoRA adapter on the original base (exported like any SFT adapter).
"""

from __future__ import annotations

import time
from pathlib import Path

from josi._errors import ConfigError
from josi._io import atomic_write_json, read_jsonl
from josi._lazy import require
from josi.training._base import ensure_base_checkpoint
from josi.training._data import data_hash, preference_example, subsample
from josi.training._fused_head import project_labelled_positions_only
from josi.training._profile import Profile
from josi.training._sft import (
    cuda_available,
    last_complete_checkpoint,
    load_model,
    load_tokenizer,
    template_kwargs,
)
from josi.training._tracking import make_callbacks, read_curve, write_run_record
from josi.training._trainer_args import trainer_args


def train_dpo(
    profile: Profile,
    data_dir: str | Path,
    sft_adapter: str | Path,
    out_dir: str | Path,
    *,
    resume: bool = True,
) -> Path:
    """DPO on ``preferences.{train,val}.jsonl`` from ``sft_adapter``; return the new adapter
    directory."""
    peft = require("peft")
    trl = require("trl")
    datasets = require("datasets")
    data_dir, sft_adapter, out_dir = Path(data_dir), Path(sft_adapter), Path(out_dir)
    if not (sft_adapter / "adapter_config.json").is_file():
        raise ConfigError(f"{sft_adapter} is not an SFT adapter directory (no adapter_config.json)")
    files = [data_dir / "preferences.train.jsonl", data_dir / "preferences.val.jsonl"]
    for path in files:
        if not path.is_file():
            raise ConfigError(
                f"missing {path}; build the dataset with `josi data build --out {data_dir}`"
            )
    dpo = profile.dpo
    kwargs = template_kwargs(profile)
    train = [
        preference_example(r, style=profile.prompt_style, chat_template_kwargs=kwargs)
        for r in read_jsonl(files[0])
    ]
    val = [
        preference_example(r, style=profile.prompt_style, chat_template_kwargs=kwargs)
        for r in subsample(read_jsonl(files[1]), dpo.max_eval_examples, dpo.seed)
    ]
    if not train or not val:
        raise ConfigError(f"{data_dir}: empty preference splits")

    base = ensure_base_checkpoint(profile)
    tokenizer = load_tokenizer(profile, base)
    model = load_model(profile, base, gradient_checkpointing=dpo.gradient_checkpointing)
    model = peft.PeftModel.from_pretrained(model, str(sft_adapter), is_trainable=True)
    out_dir.mkdir(parents=True, exist_ok=True)
    # The same head as the profile's SFT: DPO's sequence log-probabilities are sums over it.
    project_labelled_positions_only(profile.sft.lm_head_labelled_only)
    args = trl.DPOConfig(
        **trainer_args(
            profile, dpo, out_dir, run_name=f"{profile.name}-dpo", on_gpu=cuda_available()
        ),
        beta=dpo.beta,
    )
    trainer = trl.DPOTrainer(
        model=model,
        args=args,
        train_dataset=datasets.Dataset.from_list(train),
        eval_dataset=datasets.Dataset.from_list(val),
        processing_class=tokenizer,
        callbacks=make_callbacks(out_dir, max_minutes=dpo.max_minutes),
    )
    checkpoint = last_complete_checkpoint(out_dir / "checkpoints") if resume else None
    atomic_write_json(
        out_dir / "profile.json", {**profile.to_dict(), "config_hash": profile.config_hash()}
    )
    started = time.monotonic()
    result = trainer.train(resume_from_checkpoint=str(checkpoint) if checkpoint else None)
    adapter_dir = out_dir / "adapter"
    trainer.save_model(str(adapter_dir))
    tokenizer.save_pretrained(str(adapter_dir))
    write_run_record(
        out_dir,
        {
            "kind": "dpo",
            "profile": profile.name,
            "config": profile.to_dict(),
            "config_hash": profile.config_hash(),
            "base": str(base),
            "sft_adapter": str(sft_adapter),
            "data_dir": str(data_dir),
            "data_hash": data_hash(data_dir, files),
            "train_pairs": len(train),
            "val_pairs": len(val),
            "resumed_from": str(checkpoint) if checkpoint else None,
            "global_step": trainer.state.global_step,
            "best_eval_loss": trainer.state.best_metric,
            "train_loss": result.training_loss,
            "wall_seconds": round(time.monotonic() - started, 1),
            "curve_points": len(read_curve(out_dir)),
        },
    )
    return adapter_dir
