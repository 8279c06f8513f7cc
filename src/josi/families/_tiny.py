"""Tiny random checkpoints of each profile family, built offline, to prove the chain.

A profile's ``model.family`` fixes an architecture, a chat template and its special-token
conventions (which BOS, whether one is added, the think tags). The production bases are Hub
downloads this code never makes; a tiny random model of the same architecture, carrying the
embedded SmolLM2 tokenizer dressed in the family's own chat template and special tokens,
exercises every family-specific step (training template, LoRA target modules, merge,
llama.cpp conversion and quantization, serving template, BOS policy) on CPU in seconds.
The weights are noise: what this proves is the plumbing, not quality.

The family templates are the originals that trl ships in ``trl/chat_templates`` (trl uses
them to recognise a model by its template), so no Hub file is needed.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from josi._errors import ConfigError, MissingDependencyError
from josi._io import atomic_directory, atomic_write_json
from josi._lazy import require

# Shared by every family: small enough that SFT steps, merge and conversion take seconds on
# 2 cores, and wide enough (multiples of 256) that llama.cpp's k-quants apply to the
# projections instead of falling back to legacy quant types.
_TINY_SIZES = {
    "hidden_size": 256,
    "intermediate_size": 512,
    "num_hidden_layers": 2,
    "num_attention_heads": 4,
    "num_key_value_heads": 2,
    "max_position_embeddings": 4096,
}
TINY_MARKER = "josi_tiny.json"


@dataclass(frozen=True)
class TinyFamily:
    """What a family's checkpoint carries besides its weights."""

    architecture: str  # transformers model class
    template: str  # file in trl/chat_templates: the family's original chat template
    eos_token: str
    pad_token: str
    bos_token: str | None  # None: the family has no BOS text (Qwen)
    add_bos: bool  # whether the tokenizer (and so llama.cpp) prepends BOS by itself
    added_tokens: tuple[str, ...] = ()  # the family's non-special added tokens (Qwen3's think tags)
    special_tokens: tuple[str, ...] = ()  # the family's control tokens the template writes
    tokenizer_class: str | None = (
        None  # tokenizer_config.json's class, where the converter reads it
    )
    config: Mapping[str, Any] = field(default_factory=dict)  # architecture knobs beyond the sizes
    note: str = ""  # what the stand-in differs in from the real base


# The families of profiles/*.toml whose architecture the installed transformers and llama.cpp
# converter handle from local files.
TINY_FAMILIES: dict[str, TinyFamily] = {
    "qwen3": TinyFamily(
        architecture="Qwen3ForCausalLM",
        template="qwen3.jinja",
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        bos_token=None,
        add_bos=False,
        added_tokens=("<think>", "</think>"),
        config={"head_dim": 64, "tie_word_embeddings": True, "rope_theta": 1000000.0},
        note="Qwen3's byte-level BPE vocabulary (151k) is replaced by SmolLM2's (49k)",
    ),
    "smollm2": TinyFamily(
        architecture="LlamaForCausalLM",
        template="",  # the embedded base's own ChatML template
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        bos_token="<|im_start|>",
        add_bos=False,
        config={"tie_word_embeddings": True, "rope_theta": 100000.0},
        note="the nano profile runs this family's real 135M model through the chain",
    ),
    "llama3": TinyFamily(
        architecture="LlamaForCausalLM",
        template="llama3_2.jinja",
        eos_token="<|eot_id|>",
        pad_token="<|finetune_right_pad_id|>",
        bos_token="<|begin_of_text|>",
        add_bos=True,
        special_tokens=(
            "<|begin_of_text|>",
            "<|start_header_id|>",
            "<|end_header_id|>",
            "<|eot_id|>",
            "<|finetune_right_pad_id|>",
        ),
        config={"tie_word_embeddings": True, "rope_theta": 500000.0},
        note="Llama 3's tiktoken-style vocabulary (128k) is replaced by SmolLM2's (49k)",
    ),
    "phi3": TinyFamily(
        architecture="Phi3ForCausalLM",
        template="phi3.jinja",
        eos_token="<|end|>",
        pad_token="<|endoftext|>",
        bos_token=None,
        add_bos=False,
        special_tokens=("<|system|>", "<|user|>", "<|assistant|>", "<|end|>"),
        # Phi-4-mini names GPT2Tokenizer, which is what sends the converter to its BPE path.
        tokenizer_class="GPT2Tokenizer",
        config={"tie_word_embeddings": True, "partial_rotary_factor": 0.75, "pad_token_id": 0},
        note=(
            "Phi-3's template stands in for Phi-4-mini's (same tags, Phi-4-mini adds tool "
            "blocks); the o200k vocabulary is replaced by SmolLM2's"
        ),
    ),
}

# Profile families that cannot be proven without Hub files, and why.
NEEDS_HUB_FILES: dict[str, str] = {
    "qwen2": (
        "transformers 5 rebuilds the Qwen2 pre-tokenizer for every model_type 'qwen2' checkpoint "
        "whatever its tokenizer files say, so a stand-in vocabulary tokenizes differently in "
        "transformers and in llama.cpp (whose converter then refuses it); only Qwen2.5's own "
        "tokenizer from the Hub converts. Qwen3's converter is Qwen2's plus the QK norms, so the "
        "qwen3 chain covers most of its code"
    ),
    "gemma3n": (
        "llama.cpp's Gemma 3n converter reads the SentencePiece tokenizer.model and the "
        "multimodal (audio and vision) configuration of the Hub checkpoint; neither ships "
        "with any installed package"
    ),
}


def _template(name: str) -> str:
    """A family's original chat template as trl ships it."""
    from importlib.resources import files

    try:
        return (files("trl") / "chat_templates" / name).read_text(encoding="utf-8")
    except (ModuleNotFoundError, FileNotFoundError) as exc:
        raise MissingDependencyError(
            f"trl's chat template {name!r} is missing; pip install 'josi[train]' (trl>=1.0)"
        ) from exc


def family_of(name: str) -> TinyFamily:
    if name in TINY_FAMILIES:
        return TINY_FAMILIES[name]
    if name in NEEDS_HUB_FILES:
        raise ConfigError(f"family {name!r} has no tiny stand-in: {NEEDS_HUB_FILES[name]}")
    raise ConfigError(f"unknown model family {name!r}; known: {', '.join(sorted(TINY_FAMILIES))}")


def build_tiny_checkpoint(
    family: str, out: str | os.PathLike[str], *, seed: int = 0, tokenizer_from: Path | None = None
) -> Path:
    """Write a random ``family`` checkpoint with its tokenizer to ``out``; return ``out``.

    ``tokenizer_from`` is a checkpoint directory whose tokenizer is reused (default: the nano
    profile's base, dequantized from the embedded GGUF). The same seed gives the same bytes.
    """
    spec = family_of(family)
    out = Path(out)
    if (out / TINY_MARKER).is_file():
        return out
    torch = require("torch")
    transformers = require("transformers")
    if tokenizer_from is None:
        from josi.training import ensure_base_checkpoint, load_profile

        tokenizer_from = Path(ensure_base_checkpoint(load_profile("nano")))
    tokenizer = transformers.AutoTokenizer.from_pretrained(str(tokenizer_from))
    if spec.special_tokens:
        tokenizer.add_special_tokens(
            {"additional_special_tokens": list(spec.special_tokens)},
            replace_extra_special_tokens=False,
        )
    if spec.added_tokens:
        tokenizer.add_tokens(list(spec.added_tokens), special_tokens=False)
    tokenizer.bos_token = spec.bos_token
    tokenizer.eos_token = spec.eos_token
    tokenizer.pad_token = spec.pad_token
    if spec.template:
        tokenizer.chat_template = _template(spec.template)

    vocab = tokenizer.get_vocab()
    architecture = getattr(transformers, spec.architecture)
    # Qwen configs name <|endoftext|> as BOS id even though nothing adds it; llama.cpp reads it.
    bos_text = spec.bos_token or spec.pad_token
    config = architecture.config_class(
        vocab_size=len(tokenizer),
        bos_token_id=vocab[bos_text],
        eos_token_id=vocab[spec.eos_token],
        **{**_TINY_SIZES, **spec.config},
    )
    config.pad_token_id = vocab[spec.pad_token]
    torch.manual_seed(seed)
    model = architecture(config).to(torch.float32)
    model.generation_config.bos_token_id = config.bos_token_id
    model.generation_config.eos_token_id = config.eos_token_id
    model.generation_config.pad_token_id = config.pad_token_id

    with atomic_directory(out) as tmp:
        model.save_pretrained(tmp, safe_serialization=True)
        tokenizer.save_pretrained(tmp)
        _patch_tokenizer_config(tmp, spec)
        atomic_write_json(tmp / TINY_MARKER, {"family": family, "seed": seed, "note": spec.note})
    return out


def _patch_tokenizer_config(directory: Path, spec: TinyFamily) -> None:
    """Write the BOS policy and tokenizer class where llama.cpp's converter reads them."""
    path = directory / "tokenizer_config.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    data["add_bos_token"] = spec.add_bos
    data["add_eos_token"] = False
    if spec.tokenizer_class:
        data["tokenizer_class"] = spec.tokenizer_class
    atomic_write_json(path, data)
