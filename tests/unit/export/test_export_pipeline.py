"""Merge -> llama.cpp convert -> quantize -> adapter GGUF on the nano base, checked against HF.

The adapter here is a LoRA with small random weights (no training needed): every
check compares two paths through the same weights, so any visible perturbation works.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from josi._io import sha256_text
from josi.export import convert_to_gguf, export, merge_adapter, read_gguf, verify_manifest
from josi.export._manifest import REQUIRED
from josi.training import ensure_base_checkpoint, load_profile

pytestmark = [pytest.mark.train, pytest.mark.slow]

PROMPTS = [
    [
        {"role": "system", "content": "You are Josi, a running coach."},
        {"role": "user", "content": "Can I run 45 minutes today?"},
    ],
    [
        {"role": "system", "content": "You are Josi, a cycling coach."},
        {"role": "user", "content": "Why is today an easy ride?"},
    ],
    [{"role": "user", "content": "What is zone 2?"}],
]
GREEDY_TOKENS = 12


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    # A private cache, so every run really converts and quantizes instead of reusing earlier files.
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("JOSI_CACHE", str(tmp_path_factory.mktemp("cache")))
        yield _build(tmp_path_factory.mktemp("export"))


def _build(root: Path) -> dict[str, Any]:
    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    peft = pytest.importorskip("peft")
    from josi.training._sft import load_tokenizer

    # nano as a LoRA profile, whatever its default: the LoRA's own path is what is checked here.
    profile = load_profile("nano", ["sft.full_finetune=false", "export.adapter_gguf=true"])
    base = ensure_base_checkpoint(profile)
    torch.manual_seed(0)
    model = transformers.AutoModelForCausalLM.from_pretrained(str(base), dtype=torch.float32)
    config = peft.LoraConfig(
        r=8,
        lora_alpha=16,
        target_modules=["q_proj", "v_proj", "up_proj", "down_proj"],
        init_lora_weights=False,
        task_type="CAUSAL_LM",
    )
    lora = peft.get_peft_model(model, config)
    with torch.no_grad():
        for name, param in lora.named_parameters():
            if "lora_B" in name:
                param.mul_(0.05)
    adapter = root / "run" / "adapter"
    lora.save_pretrained(str(adapter))
    tokenizer = load_tokenizer(profile, base)
    tokenizer.save_pretrained(str(adapter))
    out = root / "dist"
    paths = export(profile, adapter, out, ("F16", "Q4_K_M"), dataset_hash="synthetic-test-data")
    return {
        "profile": profile,
        "base": base,
        "adapter": adapter,
        "lora": lora.eval(),
        "tokenizer": tokenizer,
        "paths": paths,
        "out": out,
    }


def _ids(tokenizer: Any, messages: list[dict[str, str]]) -> list[int]:
    ids = tokenizer.apply_chat_template(
        messages, add_generation_prompt=True, tokenize=True, return_dict=False
    )
    return list(ids["input_ids"] if hasattr(ids, "keys") else ids)


def test_artifacts_and_manifests(built: dict[str, Any]) -> None:
    names = sorted(p.name for p in built["paths"])
    assert names == ["josi-nano-f16.gguf", "josi-nano-lora-f16.gguf", "josi-nano-q4_k_m.gguf"]
    template_sha = sha256_text(built["tokenizer"].chat_template)
    for path in built["paths"]:
        data = verify_manifest(path)
        assert set(REQUIRED) <= set(data)
        nulls = [k for k in REQUIRED if data[k] is None and k != "source_revision"]
        assert nulls == [], f"{path.name}: empty manifest fields {nulls}"
        assert data["pre_tokenizer"] == "smollm"
        assert data["chat_template_sha256"] == template_sha
        assert data["prompt_style"] == "compact"
        assert data["dataset_hash"] == "synthetic-test-data"
        assert data["prompt_files"], "prompt file hashes belong in the manifest"
    quant = read_gguf(built["out"] / "josi-nano-q4_k_m.gguf")
    f16 = read_gguf(built["out"] / "josi-nano-f16.gguf")
    assert (
        quant["file_type"] == 15 and f16["file_type"] == 1
    )  # LLAMA_FTYPE_MOSTLY_Q4_K_M, MOSTLY_F16
    assert (built["out"] / "josi-nano-q4_k_m.gguf").stat().st_size < 0.6 * (
        built["out"] / "josi-nano-f16.gguf"
    ).stat().st_size
    assert read_gguf(built["out"] / "josi-nano-lora-f16.gguf")["adapter_type"] == "lora"


def test_gguf_metadata_names_the_profile_not_the_build_machine(built: dict[str, Any]) -> None:
    # Without fixed metadata the converter names the model after its cache directory and
    # records the adapter's base as a local path: same weights, other bytes on another machine.
    local_paths = [str(built["base"]).encode(), str(built["adapter"]).encode(), b"/tmp/", b"/root/"]
    for name, title in [
        ("josi-nano-f16.gguf", b"josi-nano"),
        ("josi-nano-q4_k_m.gguf", b"josi-nano"),
        ("josi-nano-lora-f16.gguf", b"josi-nano-lora"),
    ]:
        with open(built["out"] / name, "rb") as handle:
            header = handle.read(4 << 20)  # metadata comes first, before the tensor data
        assert title in header and b"SmolLM2-135M-Instruct" in header, name
        assert not [p for p in local_paths if p in header], f"{name} records a local path"


def test_same_inputs_reuse_the_artifacts(built: dict[str, Any]) -> None:
    before = {p: p.stat().st_mtime_ns for p in built["paths"]}
    again = export(
        built["profile"],
        built["adapter"],
        built["out"],
        ("F16", "Q4_K_M"),
        dataset_hash="synthetic-test-data",
    )
    assert again == built["paths"]
    assert {p: p.stat().st_mtime_ns for p in again} == before


def test_merged_equals_base_plus_adapter(built: dict[str, Any]) -> None:
    import torch
    import transformers

    merged_dir = merge_adapter(built["profile"], built["adapter"])
    merged = transformers.AutoModelForCausalLM.from_pretrained(
        str(merged_dir), dtype=torch.float32
    ).eval()
    base = transformers.AutoModelForCausalLM.from_pretrained(
        str(built["base"]), dtype=torch.float32
    ).eval()
    ids = torch.tensor([_ids(built["tokenizer"], PROMPTS[0])])
    with torch.no_grad():
        want = built["lora"](input_ids=ids).logits
        got = merged(input_ids=ids).logits
        plain = base(input_ids=ids).logits
    assert (got - want).abs().max().item() < 1e-3
    assert (plain - want).abs().max().item() > 1e-2, (
        "the adapter must change the model for this test to mean anything"
    )


def _gguf_greedy(path: Path, prompt: list[int], *, lora: Path | None = None) -> list[int]:
    llama_cpp = pytest.importorskip("llama_cpp")
    llm = llama_cpp.Llama(
        model_path=str(path),
        lora_path=str(lora) if lora else None,
        n_ctx=512,
        n_threads=1,
        seed=0,
        verbose=False,
    )
    out: list[int] = []
    for token in llm.generate(prompt, top_k=1, temp=0.0, repeat_penalty=1.0):
        if token == llm.token_eos() or len(out) >= GREEDY_TOKENS:
            break
        out.append(token)
    return out


def test_hf_and_gguf_f16_agree_greedily(built: dict[str, Any]) -> None:
    import torch

    f16 = built["out"] / "josi-nano-f16.gguf"
    tokenizer = built["tokenizer"]
    for messages in PROMPTS:
        prompt = _ids(tokenizer, messages)
        with torch.no_grad():
            hf = (
                built["lora"]
                .generate(
                    input_ids=torch.tensor([prompt]),
                    max_new_tokens=GREEDY_TOKENS,
                    do_sample=False,
                    eos_token_id=tokenizer.eos_token_id,
                    pad_token_id=tokenizer.pad_token_id,
                )[0, len(prompt) :]
                .tolist()
            )
        hf = hf[: hf.index(tokenizer.eos_token_id)] if tokenizer.eos_token_id in hf else hf
        assert _gguf_greedy(f16, prompt) == hf, tokenizer.decode(hf)


def test_adapter_gguf_on_base_matches_merged(built: dict[str, Any]) -> None:
    base_f16 = convert_to_gguf(Path(built["base"]), outtype="f16")
    merged_f16 = built["out"] / "josi-nano-f16.gguf"
    prompt = _ids(built["tokenizer"], PROMPTS[1])
    with_adapter = _gguf_greedy(base_f16, prompt, lora=built["out"] / "josi-nano-lora-f16.gguf")
    assert with_adapter == _gguf_greedy(merged_f16, prompt)


def test_chat_template_parity_by_token_ids(built: dict[str, Any]) -> None:
    llama_cpp = pytest.importorskip("llama_cpp")
    from josi.prompting import render_chatml

    path = built["out"] / "josi-nano-q4_k_m.gguf"
    meta = read_gguf(path)
    llm = llama_cpp.Llama(model_path=str(path), vocab_only=True, verbose=False)
    bos = meta["bos_token_id"]
    for messages in PROMPTS:
        hf = _ids(built["tokenizer"], messages)
        text = render_chatml(
            messages, chat_template=meta["chat_template"], add_generation_prompt=True
        )
        gguf = llm.tokenize(text.encode("utf-8"), add_bos=bool(meta["add_bos_token"]), special=True)
        assert gguf == hf
        assert not (len(gguf) > 1 and gguf[0] == bos and gguf[1] == bos), "duplicated BOS"
        # ChatML opens every turn with <|im_start|> (SmolLM2's BOS id): one per message, one for an
        # injected default system turn, one for the generation prompt, and no extra one in front.
        injected = 1 if messages[0]["role"] != "system" else 0
        assert gguf.count(bos) == len(messages) + injected + 1


def test_a_full_checkpoint_exports_as_its_merge_does(built: dict[str, Any], tmp_path: Path):
    """Every weight written by training (``sft.full_finetune``) takes the merge's path without a
    merge: the merged LoRA saved as a full checkpoint exports to the same F16 GGUF, byte for
    byte; and it has no LoRA to convert, which is a clear error."""
    from josi._errors import ConfigError
    from josi._io import sha256_file

    transformers = pytest.importorskip("transformers")
    torch = pytest.importorskip("torch")
    merged = transformers.AutoModelForCausalLM.from_pretrained(
        str(merge_adapter(built["profile"], built["adapter"])), dtype=torch.float32
    )
    full = tmp_path / "run" / "adapter"
    merged.save_pretrained(str(full))
    built["tokenizer"].save_pretrained(str(full))
    with pytest.raises(ConfigError, match="adapter_gguf"):
        export(built["profile"], full, tmp_path / "refused", ("F16",), adapter_gguf=True)
    [f16] = export(
        built["profile"], full, tmp_path / "dist", ("F16",), adapter_gguf=False, dataset_hash="x"
    )
    assert sha256_file(f16) == sha256_file(built["out"] / "josi-nano-f16.gguf")
    assert (
        verify_manifest(f16)["adapter_sha256"]
        != verify_manifest(built["out"] / "josi-nano-f16.gguf")["adapter_sha256"]
    )
