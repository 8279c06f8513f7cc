"""DPO from an SFT adapter on a few synthetic preference pairs: the adapter moves, the run is
recorded."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import number_format

from josi._io import atomic_write_jsonl
from josi.training import ensure_base_checkpoint, load_profile, train_dpo

pytestmark = [pytest.mark.train, pytest.mark.slow]


def _pairs(n: int) -> list[dict]:
    ctx = {
        "athlete_id": "a1",
        "tier": "coach",
        "persona_id": "balanced",
        "today": "2026-03-02",
        "readiness": {"state": "Productive", "level": "Yellow"},
    }
    return [
        {
            "id": f"p{i}",
            "category": "grounding",
            "context": ctx,
            "user": "Why is today easy?",
            "history": [],
            "interpreter_output": (
                '{"action":"explain","free_text":"Why is today easy?",'
                '"question":"Why is today easy?"}'
            ),
            "messages": [],
            "chosen": "Yellow readiness means today stays easy so you recover.",
            "rejected": "The algorithm says your FTP is 250 watts, so do intervals.",
            "lang": "en",
            "persona": "balanced",
            "group": f"g{i}",
        }
        for i in range(n)
    ]


def test_dpo_moves_the_sft_adapter(tmp_path: Path) -> None:
    torch = pytest.importorskip("torch")
    peft = pytest.importorskip("peft")
    transformers = pytest.importorskip("transformers")
    safetensors = pytest.importorskip("safetensors.torch")
    profile = load_profile(
        "nano",
        [
            "dpo.max_steps=2",
            "dpo.batch_size=2",
            "dpo.grad_accum=1",
            "dpo.max_length=256",
            "dpo.eval_steps=2",
            "dpo.save_steps=2",
            "dpo.learning_rate=1e-3",
            *number_format(),
        ],
    )
    base = ensure_base_checkpoint(profile)
    model = transformers.AutoModelForCausalLM.from_pretrained(str(base), dtype=torch.float32)
    sft = peft.get_peft_model(
        model,
        peft.LoraConfig(
            r=4,
            lora_alpha=8,
            target_modules=["q_proj", "v_proj"],
            init_lora_weights=False,
            task_type="CAUSAL_LM",
        ),
    )
    sft_dir = tmp_path / "sft" / "adapter"
    sft.save_pretrained(str(sft_dir))
    data = tmp_path / "data"
    atomic_write_jsonl(data / "preferences.train.jsonl", _pairs(4))
    atomic_write_jsonl(data / "preferences.val.jsonl", _pairs(2))

    adapter = train_dpo(profile, data, sft_dir, tmp_path / "dpo")

    before = safetensors.load_file(str(sft_dir / "adapter_model.safetensors"))
    after = safetensors.load_file(str(adapter / "adapter_model.safetensors"))
    assert before.keys() == after.keys()
    assert any(not torch.equal(before[k], after[k]) for k in before)
    record = json.loads((tmp_path / "dpo" / "run.json").read_text(encoding="utf-8"))
    assert record["kind"] == "dpo" and record["global_step"] == 2 and record["train_pairs"] == 4
    assert record["config"]["dpo"]["beta"] == 0.1
