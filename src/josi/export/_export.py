"""LoRA adapter -> merged checkpoint -> F16 GGUF -> quantized GGUFs (+ adapter GGUF), with
manifests.

Every intermediate is cached under ``cache_dir()`` by the hash of its inputs, and an
artifact whose manifest already records the same inputs (and still verifies) is
reused, so re-running an export with unchanged inputs does no work.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from josi._errors import ConfigError, ModelFileError
from josi._io import atomic_directory, sha256_file
from josi._lazy import require
from josi._resources import cache_dir
from josi.export._gguf import patch_gguf_v2, read_gguf
from josi.export._llamacpp import llama_cpp_version, quantize, run_converter
from josi.export._manifest import (
    manifest_path,
    prompt_hashes,
    read_manifest,
    source_revision,
    write_manifest,
)
from josi.training import QUANTS, WHEEL_PREFIX, Profile, ensure_base_checkpoint, resolve_gguf

_ADAPTER_FILES = ("adapter_config.json", "adapter_model.safetensors", "adapter_model.bin")


def _digest(parts: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True).encode("utf-8")).hexdigest()


def base_identity(profile: Profile) -> str:
    base = profile.model.base
    if base.startswith(WHEEL_PREFIX):
        return f"{base}@sha256:{sha256_file(resolve_gguf(base))}"
    return f"{base}@{profile.model.revision or 'default'}"


def gguf_metadata(profile: Profile, kind: str = "model") -> dict[str, Any]:
    """Authorship metadata written into every GGUF, fixed by the profile.

    Left to itself llama.cpp's converter names a model after the directory it converts from
    (here a cache directory named by a hash) and records the adapter's base as the local path
    it was trained from, so the same weights would get different bytes, and a shipped file
    would carry a path of the build machine.
    """
    base = profile.model.base
    if base.startswith(WHEEL_PREFIX):
        base_model: dict[str, Any] = {"name": Path(base.rpartition("/")[2]).name.split(".")[0]}
    else:
        base_model = {"name": base, "repo_url": f"https://huggingface.co/{base}"}
    name = f"josi-{profile.name}" + ("-lora" if kind == "adapter" else "")
    return {
        "general.name": name,
        "general.basename": "josi",
        "general.finetune": profile.name,
        "general.base_models": [base_model],
        "general.tags": ["josi"],
    }


def is_full_checkpoint(trained_dir: Path) -> bool:
    """Whether training wrote every weight (``sft.full_finetune``) rather than a LoRA adapter."""
    return (trained_dir / "config.json").is_file() and not (
        trained_dir / "adapter_config.json"
    ).is_file()


def adapter_digest(adapter_dir: Path) -> str:
    """The identity of what training wrote: the adapter files, or a full checkpoint's weights
    and config."""
    if is_full_checkpoint(adapter_dir):
        weights = sorted(adapter_dir.glob("*.safetensors"))
        if not weights:
            raise ModelFileError(f"{adapter_dir} has a config.json but no *.safetensors weights")
        names = [*weights, adapter_dir / "config.json"]
        return _digest({"full": {p.name: sha256_file(p) for p in names}})
    files = {
        name: sha256_file(adapter_dir / name)
        for name in _ADAPTER_FILES
        if (adapter_dir / name).is_file()
    }
    if "adapter_config.json" not in files:
        raise ModelFileError(f"{adapter_dir} is not a LoRA adapter (no adapter_config.json)")
    return _digest(files)


def merge_adapter(
    profile: Profile, adapter_dir: str | os.PathLike[str], *, dtype: str | None = None
) -> Path:
    """Merge the adapter into a full-precision base (never a 4-bit one); cached by input hash.
    A full checkpoint has nothing to merge: it is loaded at the same precision instead."""
    adapter_dir = Path(adapter_dir)
    dtype = dtype or profile.export.merge_dtype
    if dtype not in ("float32", "bfloat16", "float16"):
        raise ConfigError(f"merge dtype {dtype!r}: merge into a 16/32-bit base only")
    key = _digest(
        {"adapter": adapter_digest(adapter_dir), "base": base_identity(profile), "dtype": dtype}
    )
    target = cache_dir() / "merged" / key[:20]
    if (target / "config.json").is_file() and (target / ".complete").is_file():
        return target
    torch = require("torch")
    transformers = require("transformers")
    base = ensure_base_checkpoint(profile)
    full = is_full_checkpoint(adapter_dir)
    model = transformers.AutoModelForCausalLM.from_pretrained(
        str(adapter_dir if full else base),
        dtype=getattr(torch, dtype),
        revision=None if full else profile.model.revision or None,
        trust_remote_code=profile.model.trust_remote_code,
    )
    merged = (
        model
        if full
        else require("peft").PeftModel.from_pretrained(model, str(adapter_dir)).merge_and_unload()
    )
    tokenizer_src = adapter_dir if (adapter_dir / "tokenizer_config.json").is_file() else base
    tokenizer = transformers.AutoTokenizer.from_pretrained(str(tokenizer_src))
    with atomic_directory(target) as tmp:
        merged.save_pretrained(tmp, safe_serialization=True)
        tokenizer.save_pretrained(tmp)
        _keep_tokenizer_identity(tmp, base, profile.model.revision or None)
        (tmp / ".complete").write_text(key + "\n", encoding="utf-8")
    return target


# Keys of tokenizer_config.json that llama.cpp's converter reads and transformers rewrites.
_TOKENIZER_IDENTITY = ("tokenizer_class", "add_bos_token")


def _keep_tokenizer_identity(saved: Path, base: Path | str, revision: str | None) -> None:
    """Write the base tokenizer's class and BOS flag back into a saved tokenizer.

    transformers 5 saves every fast tokenizer as ``TokenizersBackend``. llama.cpp's converter
    reads ``tokenizer_class`` to choose a vocabulary path: Phi-4-mini's ``GPT2Tokenizer``
    selects byte-level BPE, anything else asks for a SentencePiece ``tokenizer.model`` that the
    checkpoint does not have, and the export fails.
    """
    transformers = require("transformers")
    if Path(str(base)).is_dir():
        source: str | None = str(Path(str(base)) / "tokenizer_config.json")
    else:
        source = transformers.utils.cached_file(
            str(base),
            "tokenizer_config.json",
            revision=revision,
            _raise_exceptions_for_missing_entries=False,
        )
    if not source or not Path(source).is_file():
        return
    original = json.loads(Path(source).read_text(encoding="utf-8"))
    path = saved / "tokenizer_config.json"
    data = json.loads(path.read_text(encoding="utf-8"))
    kept = {key: original[key] for key in _TOKENIZER_IDENTITY if key in original}
    if any(data.get(key) != value for key, value in kept.items()):
        path.write_text(json.dumps({**data, **kept}, indent=2) + "\n", encoding="utf-8")


def convert_to_gguf(
    hf_dir: Path, *, outtype: str = "f16", metadata: dict[str, Any] | None = None
) -> Path:
    """llama.cpp's convert_hf_to_gguf.py on a checkpoint; cached by checkpoint, metadata and
    converter version."""
    weights = sorted(hf_dir.glob("*.safetensors"))
    key = _digest(
        {
            "weights": {p.name: sha256_file(p) for p in weights},
            "config": sha256_file(hf_dir / "config.json"),
            "tokenizer": {p.name: sha256_file(p) for p in sorted(hf_dir.glob("tokenizer*"))},
            "llama_cpp": llama_cpp_version(),
            "outtype": outtype,
            "metadata": metadata,
        }
    )
    target = cache_dir() / "gguf" / f"{key[:20]}-{outtype}.gguf"
    if target.is_file():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.tmp")
    args = [str(hf_dir), "--outfile", str(tmp), "--outtype", outtype]
    with tempfile.TemporaryDirectory(dir=target.parent) as scratch:
        if metadata:
            override = Path(scratch) / "metadata.json"
            override.write_text(json.dumps(metadata), encoding="utf-8")
            args += ["--metadata", str(override)]
        run_converter("convert_hf_to_gguf.py", args)
    read_gguf(tmp)
    os.replace(tmp, target)
    return target


def _staged_adapter(profile: Profile, adapter_dir: Path, scratch: Path) -> Path:
    """The adapter as the LoRA converter should see it: same weights, and a model card and
    config that name the base by the profile instead of the local path training used (that
    converter takes its metadata from the model card only)."""
    metadata = gguf_metadata(profile, "adapter")
    staged = scratch / metadata["general.name"]
    staged.mkdir()
    for name in _ADAPTER_FILES:
        if name != "adapter_config.json" and (adapter_dir / name).is_file():
            os.symlink((adapter_dir / name).resolve(), staged / name)
    config = json.loads((adapter_dir / "adapter_config.json").read_text(encoding="utf-8"))
    config["base_model_name_or_path"] = metadata["general.base_models"][0]["name"]
    (staged / "adapter_config.json").write_text(json.dumps(config, indent=2), encoding="utf-8")
    card = {
        "name": metadata["general.name"],
        "basename": metadata["general.basename"],
        "finetune": metadata["general.finetune"],
        "base_model": metadata["general.base_models"],
        "tags": metadata["general.tags"],
    }
    # JSON values are valid YAML, which is what the converter parses the front matter with.
    front = "".join(f"{key}: {json.dumps(value)}\n" for key, value in card.items())
    (staged / "README.md").write_text(f"---\n{front}---\n", encoding="utf-8")
    return staged


def convert_adapter(profile: Profile, adapter_dir: Path, dst: Path) -> Path:
    """llama.cpp's convert_lora_to_gguf.py: a LoRA the runtime can apply to the base GGUF."""
    base = ensure_base_checkpoint(profile)
    tmp = dst.with_name(f".{dst.name}.tmp")
    with tempfile.TemporaryDirectory(dir=dst.parent) as scratch:
        staged = _staged_adapter(profile, Path(adapter_dir), Path(scratch))
        args = [str(staged), "--outfile", str(tmp), "--outtype", "f16"]
        args += (
            ["--base", str(base)] if Path(str(base)).is_dir() else ["--base-model-id", str(base)]
        )
        run_converter("convert_lora_to_gguf.py", args)
    read_gguf(tmp)
    os.replace(tmp, dst)
    return dst


def _reusable(path: Path, inputs: str) -> bool:
    if not path.is_file() or not manifest_path(path).is_file():
        return False
    try:
        from josi.export._manifest import verify_manifest

        return verify_manifest(path).get("inputs_sha256") == inputs
    except ModelFileError:
        return False


def _dataset_hash(adapter_dir: Path) -> str | None:
    record = adapter_dir.parent / "run.json"
    if record.is_file():
        try:
            return json.loads(record.read_text(encoding="utf-8")).get("data_hash")
        except json.JSONDecodeError:
            return None
    return None


def export(
    profile: Profile,
    adapter_dir: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    quants: tuple[str, ...] | list[str] | None = None,
    *,
    dataset_hash: str | None = None,
    gguf_v2: bool | None = None,
    adapter_gguf: bool | None = None,
) -> list[Path]:
    """Produce ``josi-<profile>-<quant>.gguf`` files (+ adapter GGUF) with manifests; return their
    paths."""
    adapter_dir, out_dir = Path(adapter_dir), Path(out_dir)
    quants = tuple(q.upper() for q in (quants or profile.export.quants))
    unknown = [q for q in quants if q not in QUANTS]
    if unknown:
        raise ConfigError(f"unknown quant types {unknown}; choose from {QUANTS}")
    gguf_v2 = profile.export.gguf_v2 if gguf_v2 is None else gguf_v2
    adapter_gguf = profile.export.adapter_gguf if adapter_gguf is None else adapter_gguf
    dataset_hash = dataset_hash or _dataset_hash(adapter_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    version = llama_cpp_version()
    adapter_hash = adapter_digest(adapter_dir)
    if adapter_gguf and is_full_checkpoint(adapter_dir):
        raise ConfigError(
            f"{adapter_dir} holds every weight (sft.full_finetune), not a LoRA: there is no "
            "adapter GGUF to convert; set export.adapter_gguf = false"
        )
    common = {
        "profile": profile.name,
        "base_model": base_identity(profile),
        "dataset_hash": dataset_hash,
        "config_hash": profile.config_hash(),
        "source_revision": source_revision(),
        "llama_cpp_version": version,
        "prompt_style": profile.prompt_style,
        "prompt_files": prompt_hashes(),
        "thresholds": profile.thresholds,
        "adapter_sha256": adapter_hash,
        "merge_dtype": profile.export.merge_dtype,
    }

    def inputs_for(kind: str, quant: str) -> str:
        return _digest(
            {
                "kind": kind,
                "quant": quant,
                "adapter": adapter_hash,
                "base": common["base_model"],
                "merge_dtype": common["merge_dtype"],
                "llama_cpp": version,
                "metadata": gguf_metadata(profile, kind),
            }
        )

    produced: list[Path] = []
    f16: Path | None = None
    for quant in quants:
        dst = out_dir / f"josi-{profile.name}-{quant.lower()}.gguf"
        inputs = inputs_for("model", quant)
        if not _reusable(dst, inputs):
            if f16 is None:
                f16 = convert_to_gguf(
                    merge_adapter(profile, adapter_dir),
                    outtype="f16",
                    metadata=gguf_metadata(profile),
                )
            if quant == "F16":
                _copy_atomic(f16, dst)
            else:
                quantize(f16, dst, quant)
            meta = read_gguf(dst)
            write_manifest(
                dst,
                kind="model",
                quant=quant,
                inputs_sha256=inputs,
                pre_tokenizer=meta["pre_tokenizer"],
                chat_template_sha256=meta["chat_template_sha256"],
                gguf_version=meta["version"],
                **common,
            )
        produced.append(dst)
        if gguf_v2:
            produced.append(_v2_copy(dst))
    if adapter_gguf:
        dst = out_dir / f"josi-{profile.name}-lora-f16.gguf"
        inputs = inputs_for("adapter", "F16")
        if not _reusable(dst, inputs):
            convert_adapter(profile, adapter_dir, dst)
            meta = read_gguf(dst)
            base_meta = _base_gguf_meta(produced)
            write_manifest(
                dst,
                kind="lora_adapter",
                quant="F16",
                inputs_sha256=inputs,
                pre_tokenizer=base_meta.get("pre_tokenizer"),
                chat_template_sha256=base_meta.get("chat_template_sha256"),
                gguf_version=meta["version"],
                adapter_type=meta["adapter_type"],
                **common,
            )
        produced.append(dst)
    return produced


def _base_gguf_meta(produced: list[Path]) -> dict[str, Any]:
    for path in produced:
        try:
            return read_manifest(path)
        except ModelFileError:
            continue
    return {}


def _v2_copy(src: Path) -> Path:
    dst = src.with_name(src.stem + ".v2.gguf")
    data = read_manifest(src)
    inputs = _digest({"v2_of": data["sha256"]})
    if not _reusable(dst, inputs):
        patch_gguf_v2(src, dst)
        fields = {
            k: v for k, v in data.items() if k not in ("file", "size", "sha256", "inputs_sha256")
        }
        fields["gguf_version"] = 2
        write_manifest(dst, inputs_sha256=inputs, **fields)
    return dst


def _copy_atomic(src: Path, dst: Path) -> None:
    tmp = dst.with_name(f".{dst.name}.tmp")
    shutil.copyfile(src, tmp)
    os.replace(tmp, dst)
