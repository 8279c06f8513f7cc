"""LoRA SFT on the nano profile with a tiny synthetic dataset: a few real optimizer steps."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import number_format, write_dataset

from josi.training import build_sft_trainer, load_profile, read_curve, train_sft

pytestmark = [pytest.mark.train, pytest.mark.slow]

TINY = [
    *number_format(),
    "sft.max_length=256",
    "sft.batch_size=4",
    "sft.max_eval_examples=4",
    "sft.logging_steps=1",
    "sft.learning_rate=2e-3",
    "sft.warmup_ratio=0.0",
    # Plain per-token loss, so the loss curve of a few steps is comparable between batches;
    # the weighted loss has its own test below.
    "sft.decision_weight=1",
    # These tests train a LoRA on every row they give it, whatever the profile's default.
    "sft.full_finetune=false",
    "sft.balanced_modes=[]",
]


def test_smoke_lora_learns_and_base_is_frozen(tiny_data: Path, tmp_path: Path) -> None:
    torch = pytest.importorskip("torch")
    profile = load_profile(
        "nano", [*TINY, "sft.max_steps=6", "sft.eval_steps=3", "sft.save_steps=3"]
    )
    trainer, info = build_sft_trainer(profile, tiny_data, tmp_path / "run", mode="joint")
    assert info["pad_distinct_from_eos"] and info["pad_token"] == "<|endoftext|>"
    tokenizer = trainer.processing_class
    assert trainer.data_collator.pad_token_id == tokenizer.pad_token_id != tokenizer.eos_token_id

    # Loss only on the completion: the prompt is masked and the answer ends with the stop token.
    row = trainer.train_dataset[0]
    labels, ids = row["labels"], row["input_ids"]
    first = next(i for i, label in enumerate(labels) if label != -100)
    assert first > 20 and all(label == -100 for label in labels[:first])
    assert tokenizer.eos_token_id in labels[first:]
    assert tokenizer.decode(ids[:first]).rstrip().endswith("<|im_start|>assistant")
    assert tokenizer.decode(ids).count("<|im_start|>system") == 1

    params = dict(trainer.model.named_parameters())
    lora = {k: v.detach().clone() for k, v in params.items() if "lora_" in k}
    base = {
        k: v.detach().clone() for k, v in params.items() if "lora_" not in k and "layers.3." in k
    }
    assert lora and base and all(params[k].requires_grad for k in lora)
    assert not any(params[k].requires_grad for k in base)

    trainer.train()

    after = dict(trainer.model.named_parameters())
    changed = [k for k in lora if not torch.equal(after[k].detach(), lora[k])]
    assert len(changed) == len(lora), "every LoRA matrix should move"
    assert all(torch.equal(after[k].detach(), base[k]) for k in base), (
        "base weights must stay frozen"
    )
    losses = [row["loss"] for row in read_curve(tmp_path / "run") if "loss" in row]
    assert len(losses) >= 5
    assert sum(losses[-2:]) / 2 < 0.7 * sum(losses[:2]) / 2, losses
    evals = [row["eval_loss"] for row in read_curve(tmp_path / "run") if "eval_loss" in row]
    assert len(evals) >= 2


def test_max_length_is_applied(tmp_path: Path) -> None:
    data = write_dataset(tmp_path / "data", n_train=6, n_val=2, long_rows=3)
    profile = load_profile("nano", [*TINY, "sft.max_steps=1"])
    trainer, info = build_sft_trainer(profile, data, tmp_path / "run", mode="interpreter")
    assert trainer.args.max_length == 256
    assert info["dropped_over_max_length"]["train"] == 3
    assert info["train_examples"] == 6
    lengths = [len(ids) for ids in trainer.train_dataset["input_ids"]]
    assert max(lengths) <= 256 and min(lengths) > 50


def test_modes_select_their_data(tiny_data: Path, tmp_path: Path) -> None:
    profile = load_profile("nano", [*TINY, "sft.max_steps=1"])
    _, joint = build_sft_trainer(profile, tiny_data, tmp_path / "a", mode="joint")
    _, coach = build_sft_trainer(profile, tiny_data, tmp_path / "b", mode="coach")
    assert joint["train_examples"] == 24 and coach["train_examples"] == 12


def test_decision_weight_scales_only_the_request_decisions(tiny_data: Path, tmp_path: Path) -> None:
    torch = pytest.importorskip("torch")
    overrides = [*TINY, "sft.max_steps=1", "lora.dropout=0.0", "sft.sampling=random"]
    plain, _ = build_sft_trainer(
        load_profile("nano", overrides), tiny_data, tmp_path / "a", mode="joint"
    )
    weighted, _ = build_sft_trainer(
        load_profile("nano", [*overrides, "sft.decision_weight=4"]),
        tiny_data,
        tmp_path / "b",
        mode="joint",
    )
    tokenizer = weighted.processing_class
    rows = [weighted.train_dataset[i] for i in range(len(weighted.train_dataset))]

    def is_request(row: dict) -> bool:
        return tokenizer.decode([t for t in row["labels"] if t != -100]).startswith('{"action"')

    # Three rows of each mode: the weights are checked position by position, so a few rows
    # show them as well as all of them, and each forward pass here costs seconds on a CPU.
    requests = [row for row in rows if is_request(row)][:3]
    replies = [row for row in rows if not is_request(row)][:3]
    batch = weighted.data_collator(requests + replies)
    targets = [
        tokenizer.decode([t for t in row[1:].tolist() if t != -100]) for row in batch["labels"]
    ]
    assert any(t.startswith('{"action"') for t in targets) and any(
        not t.startswith("{") for t in targets
    )

    weighted.model.train()
    plain.model.train()
    weighted.model.load_state_dict(plain.model.state_dict())
    with torch.no_grad():
        outputs = plain.model(**batch, fused_lm_head=True)
        loss_plain = plain.compute_loss(plain.model, dict(batch)).item()
        loss_weighted = weighted.compute_loss(weighted.model, dict(batch)).item()
    n_tokens = outputs.label_mask.sum()
    assert loss_plain == pytest.approx((-outputs.log_probs.sum() / n_tokens).item(), rel=1e-4)

    # By hand: weight 4 on request tokens outside the copied free_text, 1 elsewhere.
    weights = torch.ones_like(outputs.log_probs)
    for row, target in enumerate(targets):
        if not target.startswith('{"action"'):
            continue
        positions = (batch["labels"][row, 1:] != -100).nonzero(as_tuple=True)[0].tolist()
        message = json.loads(target.split("<|im_end|>")[0])["free_text"]
        for k, position in enumerate(positions):
            before = tokenizer.decode(batch["labels"][row, 1:][positions[:k]].tolist())
            upto = tokenizer.decode(batch["labels"][row, 1:][positions[: k + 1]].tolist())
            copy_start = target.index('"free_text":"') + len('"free_text":"')
            inside = len(before) >= copy_start and len(upto) <= copy_start + len(message)
            weights[row, position] = 1.0 if inside else 4.0
    expected = (-(outputs.log_probs * weights).sum() / n_tokens).item()
    assert loss_weighted == pytest.approx(expected, rel=1e-4)
    assert loss_weighted > loss_plain

    # Validation loss stays unweighted, so early stopping compares like with like.
    weighted.model.eval()
    plain.model.eval()
    with torch.no_grad():
        assert weighted.compute_loss(weighted.model, dict(batch)).item() == pytest.approx(
            plain.compute_loss(plain.model, dict(batch)).item(), rel=1e-5
        )


_KILLABLE = """
import sys
from pathlib import Path
from josi.training import load_profile, train_sft
profile = load_profile("nano", sys.argv[3:])
train_sft(profile, Path(sys.argv[1]), Path(sys.argv[2]))
"""


def test_killed_run_resumes_from_its_checkpoint(tiny_data: Path, tmp_path: Path) -> None:
    out = tmp_path / "run"
    overrides = [
        *TINY,
        "sft.batch_size=2",
        "sft.max_steps=8",
        "sft.eval_steps=2",
        "sft.save_steps=2",
        "sft.max_eval_examples=2",
    ]
    proc = subprocess.Popen(
        [sys.executable, "-c", _KILLABLE, str(tiny_data), str(out), *overrides],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 300
        while not (out / "checkpoints" / "checkpoint-2" / "trainer_state.json").is_file():
            assert proc.poll() is None, proc.stderr.read().decode()[-2000:] if proc.stderr else ""
            assert time.monotonic() < deadline, "no checkpoint within 5 minutes"
            time.sleep(0.5)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    assert not (out / "adapter").exists(), "the run was killed before finishing"
    killed_at = max(row["step"] for row in read_curve(out))

    adapter = train_sft(load_profile("nano", overrides), tiny_data, out)

    record = json.loads((out / "run.json").read_text(encoding="utf-8"))
    assert record["resumed_from"] is not None and "checkpoint-" in record["resumed_from"]
    resumed_step = int(record["resumed_from"].rsplit("-", 1)[1])
    assert resumed_step >= 2 and record["global_step"] == 8
    steps_after = [row["step"] for row in read_curve(out)][-3:]
    assert max(steps_after) == 8 and killed_at <= 8
    assert (adapter / "adapter_model.safetensors").is_file()
    assert (
        record["data_hash"]
        and record["config_hash"] == load_profile("nano", overrides).config_hash()
    )
