"""Every profile family that needs no Hub file, through the whole chain on CPU.

A tiny random model of the family's architecture, carrying the family's own chat template and
special tokens (``josi.families``), goes data -> SFT (a few steps on the project's dataset) ->
merge -> llama.cpp convert -> quantize -> llama.cpp load -> one turn in both modes. Its weights
are noise, so what is checked is what each family does differently: the messages and template at
training and serving time (Qwen3 with thinking off), the token ids on both sides (exactly one
BOS, or none), the LoRA target modules, the think tags, and the BOS flag that reaches the GGUF.

One test per family does the whole chain, so xdist never builds a chain twice.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from josi.families import NEEDS_HUB_FILES, TINY_FAMILIES, build_tiny_checkpoint
from josi.training import load_profile, profile_names

THINK_OFF_GENERATION = "<|im_start|>assistant\n<think>\n\n</think>\n\n"
# A few optimizer steps on a slice of the dataset: enough to run every training code path.
TRAIN_OVERRIDES = (
    # The chain merges a LoRA and converts it to an adapter GGUF, whatever the profile's default.
    "sft.full_finetune=false",
    "export.adapter_gguf=true",
    "model.dtype=float32",
    "sft.max_steps=3",
    "sft.batch_size=2",
    "sft.grad_accum=1",
    "sft.eval_steps=3",
    "sft.save_steps=3",
    "sft.max_eval_examples=4",
    "sft.threads=2",
    "sft.gradient_checkpointing=false",
    'export.quants=["Q4_K_M"]',
)
ROWS = {"train": 12, "val": 4}


def _profiles_by_family() -> dict[str, list[str]]:
    families: dict[str, list[str]] = {}
    for name in profile_names():
        families.setdefault(load_profile(name).model.family, []).append(name)
    return families


def _representative(family: str) -> str:
    """The profile a family's chain runs under: the production one where the family has it."""
    names = _profiles_by_family()[family]
    ranked = sorted(names, key=lambda n: (load_profile(n).thresholds != "production", n))
    return ranked[0]


def test_every_profile_family_is_proven_here_or_says_why():
    families = set(_profiles_by_family())
    assert families <= set(TINY_FAMILIES) | set(NEEDS_HUB_FILES)
    assert not set(TINY_FAMILIES) & set(NEEDS_HUB_FILES)
    assert all(len(reason) > 40 for reason in NEEDS_HUB_FILES.values())


@pytest.fixture(scope="module")
def dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    from josi._io import atomic_write_jsonl
    from josi.data import BuildConfig, write_dataset

    full = tmp_path_factory.mktemp("data-full")
    write_dataset(full, BuildConfig(seed=0, scale=0.05))
    subset = tmp_path_factory.mktemp("data")
    for mode in ("interpreter", "coach"):
        for split, n in ROWS.items():
            lines = (full / f"{mode}.{split}.jsonl").read_text(encoding="utf-8").splitlines()
            atomic_write_jsonl(subset / f"{mode}.{split}.jsonl", [json.loads(x) for x in lines[:n]])
    return subset


@pytest.fixture(scope="module")
def tokenizer_source() -> Path:
    """The nano base, whose tokenizer every tiny family starts from, in the shared cache: it
    is the same GGUF dequantized (about 40 s), so a private cache per family would only repeat
    that work; what each family builds from it is still made in the test's own cache."""
    pytest.importorskip("transformers")
    from josi.training import ensure_base_checkpoint

    return Path(ensure_base_checkpoint(load_profile("nano")))


def _targets_exist(profile, model) -> None:
    names = [name for name, _ in model.named_modules()]
    if profile.lora.target_pattern:
        assert any(re.fullmatch(profile.lora.target_pattern, n) for n in names)
        return
    for target in profile.lora.target_modules:
        assert any(n.split(".")[-1] == target for n in names), f"{target} not in the model"


def _rows(dataset: Path, mode: str) -> list[dict]:
    text = (dataset / f"{mode}.train.jsonl").read_text(encoding="utf-8")
    return [json.loads(line) for line in text.splitlines()]


@pytest.mark.train
@pytest.mark.slow
@pytest.mark.parametrize("family", sorted(TINY_FAMILIES))
def test_family_chain_data_sft_merge_convert_quantize_serve(
    family: str,
    dataset: Path,
    tokenizer_source: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    transformers = pytest.importorskip("transformers")
    pytest.importorskip("llama_cpp")
    from josi.export import export
    from josi.runtime import JosiRuntime, RuntimeConfig
    from josi.training import train_sft
    from josi.training._data import to_example
    from josi.training._sft import template_kwargs

    # A private cache: every stage really runs instead of reusing another test's files.
    monkeypatch.setenv("JOSI_CACHE", str(tmp_path / "cache"))
    spec = TINY_FAMILIES[family]
    base = build_tiny_checkpoint(family, tmp_path / "base", tokenizer_from=tokenizer_source)
    profile = load_profile(_representative(family), [f"model.base={base}", *TRAIN_OVERRIDES])
    assert profile.model.family == family

    _targets_exist(profile, transformers.AutoModelForCausalLM.from_pretrained(str(base)))
    adapter = train_sft(profile, dataset, tmp_path / "run")
    trained = json.loads((adapter / "adapter_config.json").read_text(encoding="utf-8"))
    if not profile.lora.target_pattern:
        assert set(trained["target_modules"]) == set(profile.lora.target_modules)

    paths = export(profile, adapter, tmp_path / "dist", dataset_hash="tiny")
    model_gguf = next(p for p in paths if p.name.endswith("-q4_k_m.gguf"))
    assert any(p.name.endswith("-lora-f16.gguf") for p in paths)

    runtime = JosiRuntime(
        RuntimeConfig(gguf=model_gguf, deterministic=True, n_ctx=2048, max_tokens=48, seed=0)
    )
    engine = runtime.engine
    tokenizer = transformers.AutoTokenizer.from_pretrained(str(adapter))
    kwargs = template_kwargs(profile)
    assert engine.add_bos == spec.add_bos

    for mode in ("interpreter", "coach"):
        row = _rows(dataset, mode)[0]
        trained_messages = to_example(row, style=profile.prompt_style, chat_template_kwargs=kwargs)[
            "prompt"
        ]
        served_messages = runtime.messages(
            mode,
            row["context"],
            row["user"],
            history=row.get("history") or [],
            interpreter_output=row.get("interpreter_output"),
        )
        assert served_messages == trained_messages, f"{mode}: train and serve build other messages"
        hf_ids = tokenizer.apply_chat_template(
            trained_messages, add_generation_prompt=True, tokenize=True, return_dict=False, **kwargs
        )
        served_ids = runtime.prompt_ids(served_messages)
        assert served_ids == list(hf_ids), f"{mode}: token ids differ between training and serving"
        rendered = runtime.render(served_messages)
        if spec.add_bos:
            assert served_ids[0] == engine.bos_id and served_ids[1] != engine.bos_id
        else:  # nothing prepended to what the template writes
            assert served_ids == engine.llm.tokenize(rendered.encode(), add_bos=False, special=True)
        if spec.bos_token is None:
            assert served_ids[0] != engine.bos_id
        if profile.model.enable_thinking is False:
            assert rendered.endswith(THINK_OFF_GENERATION)
            # trl finds the completion where the prompt alone and the whole conversation
            # diverge: the template must render the whole conversation as the prompt followed
            # by the answer. (Whether "\n\n" and the answer's first word stay apart as tokens
            # is the vocabulary's pre-tokenizer: Qwen's keeps "\n\n" whole, the stand-in's
            # GPT-2 rule splits it, so that part is not checked on a stand-in.)
            full = tokenizer.apply_chat_template(
                [*trained_messages, {"role": "assistant", "content": row["completion"]}],
                tokenize=False,
                **kwargs,
            )
            prompt = tokenizer.apply_chat_template(
                trained_messages, add_generation_prompt=True, tokenize=False, **kwargs
            )
            assert prompt == rendered and full.startswith(prompt)
            assert full[len(prompt) :].startswith(row["completion"])
    for tag in spec.added_tokens:
        hf = tokenizer.encode(tag, add_special_tokens=False)
        assert len(hf) == 1 and engine.tokenize(tag)[-1:] == hf, f"{tag} is not one shared token"

    ctx = _rows(dataset, "coach")[0]["context"]
    result = runtime.turn(ctx, "Why is today an easy day?")
    interpreter = result.calls[0]
    assert interpreter.mode == "interpreter" and interpreter.grammar
    # Random weights may fill a free string until the token cap; the grammar still holds.
    assert result.parse_ok or interpreter.stopped == "max_tokens"
    if interpreter.stopped != "max_tokens":  # a finished output is one the grammar accepts
        assert runtime.grammar_accepts(result.interpreter_raw)
    coach = runtime.coach(ctx, "Why is today an easy day?", result.interpreter_raw)
    assert coach.source == "model" and coach.stats is not None and coach.stats.completion_tokens > 0
    assert "<think>" not in coach.text
    assert result.route.reason  # the turn went on to routing, whatever the request was
