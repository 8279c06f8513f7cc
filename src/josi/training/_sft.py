"""Supervised fine-tuning with trl's SFTTrainer and a LoRA adapter.

Decisions (see profiles/nano.toml for the numbers):
- Prompt-completion examples: trl renders them with the tokenizer's chat template and
  computes the loss on completion tokens only, which generalised far better than
  loss on every token.
- Rows longer than ``max_length`` are dropped (and counted in the run record) rather
  than truncated: a cut-off target never shows the model where its answer ends.
- No packing by default. Without flash-attention (CPU, older GPUs) packed rows attend
  across example boundaries; length-grouped batches remove most padding instead.
  Length correlates with the label here (clarify requests and coach replies are the
  longest rows), so HF's grouped batches come in runs of one action; a short step budget
  then learns the latest run's action rather than the distinction. ``sft.sampling =
  "length_buckets"`` keeps the padding low and mixes the actions inside each batch.
- ``sft.decision_weight`` weights the request tokens that decide something (action,
  fields, values) above the copied message and the coach text (see ``_weights``).
- The best checkpoint by validation loss is restored at the end; early stopping ends
  the run after ``early_stopping_patience`` evaluations without improvement.
"""

from __future__ import annotations

import os
import re
import time
from collections import Counter
from pathlib import Path
from typing import Any

from josi._errors import ConfigError
from josi._io import atomic_write_json
from josi._lazy import require
from josi.training._base import ensure_base_checkpoint
from josi.training._data import (
    balanced_budget,
    bucket_order,
    data_hash,
    load_rows,
    mix_rows,
    modes_for,
    split_path,
    subsample,
    to_example,
)
from josi.training._fused_head import project_labelled_positions_only
from josi.training._profile import Profile, SftSection
from josi.training._tracking import make_callbacks, read_curve, write_run_record
from josi.training._trainer_args import trainer_args
from josi.training._weights import decision_weights

_CHECKPOINT = re.compile(r"^checkpoint-(\d+)$")


def auto_threads() -> int:
    """Cores not already busy: OpenMP with more threads than free cores runs several times
    slower."""
    cores = os.cpu_count() or 1
    try:
        busy = os.getloadavg()[0]
    except OSError:
        busy = 0.0
    return max(1, min(cores, int(cores - busy + 0.5)))


def cuda_available() -> bool:
    torch = require("torch")
    return bool(torch.cuda.is_available())


def load_tokenizer(profile: Profile, base: Path | str) -> Any:
    """The base tokenizer with a pad token distinct from EOS wherever the vocabulary has one."""
    transformers = require("transformers")
    tokenizer = transformers.AutoTokenizer.from_pretrained(
        str(base),
        revision=profile.model.revision or None,
        trust_remote_code=profile.model.trust_remote_code,
    )
    vocab = tokenizer.get_vocab()
    wanted = profile.model.pad_token
    if wanted:
        if wanted not in vocab:
            raise ConfigError(f"model.pad_token {wanted!r} is not in the {profile.name} vocabulary")
        tokenizer.pad_token = wanted
    elif tokenizer.pad_token is None or tokenizer.pad_token == tokenizer.eos_token:
        for candidate in (tokenizer.unk_token, "<|endoftext|>", "<pad>"):
            if candidate and candidate in vocab and candidate != tokenizer.eos_token:
                tokenizer.pad_token = candidate
                break
        else:
            tokenizer.pad_token = tokenizer.eos_token
    tokenizer.padding_side = "right"
    return tokenizer


def load_model(
    profile: Profile,
    base: Path | str,
    *,
    gradient_checkpointing: bool,
    for_training: bool = True,
    dtype: str | None = None,
) -> Any:
    torch = require("torch")
    transformers = require("transformers")
    kwargs: dict[str, Any] = {
        "revision": profile.model.revision or None,
        "trust_remote_code": profile.model.trust_remote_code,
        "dtype": getattr(torch, dtype or profile.model.dtype),
    }
    if for_training and profile.model.qlora_on_cuda and cuda_available():
        require("bitsandbytes")
        kwargs["quantization_config"] = transformers.BitsAndBytesConfig(
            load_in_4bit=True,
            bnb_4bit_quant_type="nf4",
            bnb_4bit_use_double_quant=True,
            bnb_4bit_compute_dtype=torch.bfloat16,
        )
        kwargs["device_map"] = {"": 0}
    model = transformers.AutoModelForCausalLM.from_pretrained(str(base), **kwargs)
    if "quantization_config" in kwargs:
        peft = require("peft")
        model = peft.prepare_model_for_kbit_training(
            model, use_gradient_checkpointing=gradient_checkpointing
        )
    return model


def lora_config(profile: Profile) -> Any:
    peft = require("peft")
    targets: Any = profile.lora.target_pattern or list(profile.lora.target_modules)
    return peft.LoraConfig(
        r=profile.lora.r,
        lora_alpha=profile.lora.alpha,
        lora_dropout=profile.lora.dropout,
        target_modules=targets,
        bias="none",
        task_type="CAUSAL_LM",
    )


def template_kwargs(profile: Profile) -> dict[str, Any]:
    if profile.model.enable_thinking is None:
        return {}
    return {"enable_thinking": profile.model.enable_thinking}


def prepare_examples(
    profile: Profile, tokenizer: Any, rows: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], int]:
    """Render rows and drop those whose full conversation exceeds ``sft.max_length``."""
    kept, _lengths, _rows, dropped = _render(profile, tokenizer, rows)
    return kept, dropped


def _render(
    profile: Profile, tokenizer: Any, rows: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], list[int], list[dict[str, Any]], int]:
    """Kept examples with their token lengths and source rows, and the number dropped."""
    kwargs = template_kwargs(profile)
    kept: list[dict[str, Any]] = []
    lengths: list[int] = []
    sources: list[dict[str, Any]] = []
    dropped = 0
    for row in rows:
        example = to_example(row, style=profile.prompt_style, chat_template_kwargs=kwargs)
        ids = tokenizer.apply_chat_template(
            example["prompt"] + example["completion"], tokenize=True, return_dict=False, **kwargs
        )
        if hasattr(ids, "input_ids"):
            ids = ids["input_ids"]
        if len(ids) > profile.sft.max_length:
            dropped += 1
            continue
        kept.append(example)
        lengths.append(len(ids))
        sources.append(row)
    return kept, lengths, sources, dropped


def budget_reach(sft: SftSection) -> int:
    """Rows the step budget trains on: steps x rows per optimizer update on every process."""
    world = int(os.environ.get("WORLD_SIZE", "1") or 1)
    return sft.max_steps * sft.batch_size * sft.grad_accum * world


def _training_order(
    profile: Profile, tokenizer: Any, rows: list[dict[str, Any]]
) -> tuple[list[dict[str, Any]], dict[str, int], int]:
    """Training examples (pre-ordered into length buckets when ``sft.sampling`` asks for it),
    the count of kept examples per mode, and the number dropped."""
    examples, lengths, sources, dropped = _render(profile, tokenizer, rows)
    if profile.sft.balanced_modes:
        # Chosen after the length filter, so the budget is spent on rows it can train on.
        keep = balanced_budget(
            sources, budget_reach(profile.sft), profile.sft.seed, profile.sft.balanced_modes
        )
        examples = [examples[index] for index in keep]
        lengths = [lengths[index] for index in keep]
        sources = [sources[index] for index in keep]
    by_mode = dict(Counter(str(row.get("mode", "")) for row in sources))
    if profile.sft.sampling != "length_buckets" or profile.sft.packing:
        return examples, by_mode, dropped
    # Rows are bucketed by system prompt: the mode, and for the coach also the persona.
    prompts = [str(example["prompt"][0]["content"]) for example in examples]
    order = bucket_order(
        lengths, prompts, profile.sft.batch_size * profile.sft.grad_accum, profile.sft.seed
    )
    return [examples[index] for index in order], by_mode, dropped


def _sampler(sft: SftSection) -> str:
    if sft.packing:
        return "random"
    # length_buckets orders the dataset itself; the trainer must keep that order.
    return "sequential" if sft.sampling == "length_buckets" else sft.sampling


class _WeightedLogProbs:
    """The model as trl's loss sees it, with each next-token log-probability scaled by its weight.

    trl's SFT loss is ``-sum(log_probs) / num_tokens``; scaling ``log_probs`` before that sum
    weights the loss and leaves trl's token metrics (entropy, accuracy, counts) untouched.
    """

    def __init__(self, model: Any, weights: Any) -> None:
        self._model = model
        self._weights = weights

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        outputs = self._model(*args, **kwargs)
        if kwargs.get("fused_lm_head") and getattr(outputs, "log_probs", None) is not None:
            outputs.log_probs = outputs.log_probs * self._weights.to(outputs.log_probs.dtype)
        return outputs

    def __getattr__(self, name: str) -> Any:
        return getattr(self._model, name)


def _trainer_class(trl: Any, weight: float) -> Any:
    """trl's SFTTrainer, or a subclass that weights the interpreter's decision tokens in
    training."""
    if weight == 1.0:
        return trl.SFTTrainer

    class DecisionWeightedSFTTrainer(trl.SFTTrainer):
        def compute_loss(
            self,
            model: Any,
            inputs: Any,
            return_outputs: bool = False,
            num_items_in_batch: Any = None,
        ) -> Any:
            # Validation loss stays the plain mean, so early stopping compares like with like.
            if not self.model.training or return_outputs or "labels" not in inputs:
                return super().compute_loss(model, inputs, return_outputs, num_items_in_batch)
            weights = decision_weights(inputs["labels"], self.processing_class, weight)
            return super().compute_loss(
                _WeightedLogProbs(model, weights), inputs, return_outputs, num_items_in_batch
            )

    return DecisionWeightedSFTTrainer


def last_complete_checkpoint(checkpoints: Path) -> Path | None:
    """Newest checkpoint whose trainer_state.json exists (written last, so a kill mid-save is
    skipped)."""
    if not checkpoints.is_dir():
        return None
    found = []
    for child in checkpoints.iterdir():
        match = _CHECKPOINT.match(child.name)
        if match and child.is_dir() and (child / "trainer_state.json").is_file():
            found.append((int(match.group(1)), child))
    return max(found)[1] if found else None


def build_sft_trainer(
    profile: Profile, data_dir: Path, out_dir: Path, *, mode: str
) -> tuple[Any, dict[str, Any]]:
    """Construct the SFTTrainer (model, data, callbacks) without training."""
    require("torch")
    transformers = require("transformers")
    trl = require("trl")
    datasets = require("datasets")

    sft = profile.sft
    modes = modes_for(mode)
    base = ensure_base_checkpoint(profile)
    tokenizer = load_tokenizer(profile, base)
    train_rows = mix_rows(load_rows(data_dir, modes, "train"), sft.interpreter_share, sft.seed)
    val_rows = subsample(load_rows(data_dir, modes, "val"), sft.max_eval_examples, sft.seed)
    train_examples, train_by_mode, dropped_train = _training_order(profile, tokenizer, train_rows)
    val_examples, dropped_val = prepare_examples(profile, tokenizer, val_rows)
    if not train_examples or not val_examples:
        raise ConfigError(
            f"no usable examples in {data_dir} for mode {mode!r} "
            f"within max_length={sft.max_length} "
            f"(train dropped {dropped_train}, val dropped {dropped_val})"
        )

    on_gpu = cuda_available()
    shared = trainer_args(profile, sft, out_dir, run_name=f"{profile.name}-{mode}", on_gpu=on_gpu)
    args = trl.SFTConfig(
        **shared,
        packing=sft.packing,
        completion_only_loss=True,
        warmup_steps=sft.warmup_ratio,
        weight_decay=sft.weight_decay,
        max_grad_norm=sft.max_grad_norm,
        data_seed=sft.seed,
        train_sampling_strategy=_sampler(sft),
        include_num_input_tokens_seen="non_padding",
        dataloader_num_workers=0,
        save_only_model=False,
    )
    threads = sft.threads if sft.threads > 0 else (0 if on_gpu else auto_threads())
    if threads:
        require("torch").set_num_threads(threads)
    model = load_model(
        profile,
        base,
        gradient_checkpointing=sft.gradient_checkpointing,
        # Every weight is updated: the master weights stay float32 (bfloat16 weights would
        # round small updates away); model.dtype bfloat16 still runs the steps under autocast.
        dtype="float32" if sft.full_finetune else None,
    )
    project_labelled_positions_only(sft.lm_head_labelled_only)
    callbacks = make_callbacks(out_dir, max_minutes=sft.max_minutes)
    if sft.early_stopping_patience > 0:
        callbacks.append(
            transformers.EarlyStoppingCallback(early_stopping_patience=sft.early_stopping_patience)
        )
    trainer = _trainer_class(trl, sft.decision_weight)(
        model=model,
        args=args,
        train_dataset=datasets.Dataset.from_list(train_examples),
        eval_dataset=datasets.Dataset.from_list(val_examples),
        processing_class=tokenizer,
        peft_config=None if sft.full_finetune else lora_config(profile),
        callbacks=callbacks,
    )
    files = [split_path(data_dir, m, s) for m in modes for s in ("train", "val")]
    info = {
        "mode": mode,
        "base": str(base),
        "data_dir": str(data_dir),
        "data_hash": data_hash(data_dir, files),
        "train_examples": len(train_examples),
        "train_examples_by_mode": train_by_mode,
        "val_examples": len(val_examples),
        "dropped_over_max_length": {"train": dropped_train, "val": dropped_val},
        "pad_token": tokenizer.pad_token,
        "eos_token": tokenizer.eos_token,
        "pad_distinct_from_eos": tokenizer.pad_token != tokenizer.eos_token,
        "report_to": shared["report_to"],
        "device": "cuda" if on_gpu else "cpu",
        "threads": threads or None,
    }
    return trainer, info


def train_sft(
    profile: Profile,
    data_dir: str | Path,
    out_dir: str | Path,
    *,
    resume: bool = True,
    mode: str | None = None,
) -> Path:
    """Train LoRA SFT; return the adapter directory (or, for mode "both", the run directory).

    Re-running with ``resume=True`` continues from the newest complete checkpoint.
    """
    data_dir, out_dir = Path(data_dir), Path(out_dir)
    mode = mode or profile.sft.mode
    if mode == "both":
        for single in ("interpreter", "coach"):
            train_sft(profile, data_dir, out_dir / single, resume=resume, mode=single)
        return out_dir
    out_dir.mkdir(parents=True, exist_ok=True)
    adapter_dir = out_dir / "adapter"
    trainer, info = build_sft_trainer(profile, data_dir, out_dir, mode=mode)
    checkpoint = last_complete_checkpoint(out_dir / "checkpoints") if resume else None
    atomic_write_json(
        out_dir / "profile.json", {**profile.to_dict(), "config_hash": profile.config_hash()}
    )
    started = time.monotonic()
    result = trainer.train(resume_from_checkpoint=str(checkpoint) if checkpoint else None)
    wall = time.monotonic() - started
    trainer.save_model(str(adapter_dir))
    trainer.processing_class.save_pretrained(str(adapter_dir))
    state = trainer.state
    tokens = int(state.num_input_tokens_seen or 0)
    record = {
        "kind": "sft",
        "profile": profile.name,
        "config": profile.to_dict(),
        "config_hash": profile.config_hash(),
        **info,
        "resumed_from": str(checkpoint) if checkpoint else None,
        "adapter_dir": str(adapter_dir),
        "global_step": state.global_step,
        "best_checkpoint": state.best_model_checkpoint,
        "best_eval_loss": state.best_metric,
        "train_loss": result.training_loss,
        "tokens_seen": tokens,
        "wall_seconds": round(wall, 1),
        "tokens_per_second": round(tokens / wall, 1) if wall > 0 and not checkpoint else None,
        "curve_points": len(read_curve(out_dir)),
    }
    write_run_record(out_dir, record)
    return adapter_dir
