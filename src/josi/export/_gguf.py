"""GGUF header facts for manifests, and the v3 -> v2 header patch. A truncated or foreign file is a
ModelFileError."""

from __future__ import annotations

import os
import shutil
import struct
import tempfile
from pathlib import Path
from typing import Any

from josi._errors import ModelFileError
from josi._gguf import gguf_version, inspect_gguf
from josi._io import sha256_text


def read_gguf(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Header facts of a GGUF for its manifest, after checking every tensor lies inside the file."""
    info = inspect_gguf(path)
    meta = info.metadata
    template = info.chat_template
    return {
        "version": info.version,
        "architecture": meta.get("general.architecture"),
        "file_type": meta.get("general.file_type"),
        "pre_tokenizer": meta.get("tokenizer.ggml.pre"),
        "chat_template": template,
        "chat_template_sha256": sha256_text(template) if template is not None else None,
        "bos_token_id": meta.get("tokenizer.ggml.bos_token_id"),
        "eos_token_id": meta.get("tokenizer.ggml.eos_token_id"),
        "padding_token_id": meta.get("tokenizer.ggml.padding_token_id"),
        "add_bos_token": meta.get("tokenizer.ggml.add_bos_token"),
        "adapter_type": meta.get("adapter.type"),
        "tensor_count": info.n_tensors,
    }


def patch_gguf_v2(src: str | os.PathLike[str], dst: str | os.PathLike[str]) -> Path:
    """Copy ``src`` to ``dst`` with the header version set to 2 (weights unchanged).

    Little-endian v3 files differ from v2 only in the version number, which some
    older Android llama.cpp builds check. The copy is atomic: ``dst`` is either the
    old file or the complete patched one.
    """
    src, dst = Path(src), Path(dst)
    version = gguf_version(src)
    if version not in (2, 3):
        raise ModelFileError(
            f"{src} has GGUF version {version}; only v3 -> v2 is a header-only change"
        )
    dst.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=dst.parent, prefix=f".{dst.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as out, open(src, "rb") as inp:
            shutil.copyfileobj(inp, out, 1 << 20)
            out.seek(4)
            out.write(struct.pack("<I", 2))
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, dst)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return dst
