"""Reading and patching GGUF headers. A truncated or foreign file is a ModelFileError."""

from __future__ import annotations

import os
import shutil
import struct
import tempfile
from pathlib import Path
from typing import Any

from josi._errors import ModelFileError
from josi._io import sha256_text
from josi._lazy import require

_MAGIC = b"GGUF"


def gguf_version(path: str | os.PathLike[str]) -> int:
    path = Path(path)
    try:
        with open(path, "rb") as handle:
            head = handle.read(8)
    except OSError as exc:
        raise ModelFileError(f"cannot read {path}: {exc}") from exc
    if len(head) < 8 or head[:4] != _MAGIC:
        raise ModelFileError(f"{path} is not a GGUF file (bad magic {head[:4]!r})")
    return struct.unpack("<I", head[4:8])[0]


def read_gguf(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Header metadata of a GGUF, after checking every tensor lies inside the file."""
    path = Path(path)
    version = gguf_version(path)
    gguf = require("gguf")
    try:
        reader = gguf.GGUFReader(str(path))
        size = path.stat().st_size
        for tensor in reader.tensors:
            end = int(tensor.data_offset) + int(tensor.n_bytes)
            if end > size:
                raise ModelFileError(f"{path} is truncated: tensor {tensor.name} ends at byte {end} of {size}")
        fields: dict[str, Any] = {}
        for key, field in reader.fields.items():
            if key.startswith(("tokenizer.ggml.tokens", "tokenizer.ggml.merges", "tokenizer.ggml.token_type",
                               "tokenizer.ggml.scores")):
                continue
            try:
                fields[key] = field.contents()
            except Exception:  # noqa: BLE001 - an exotic field type is not worth failing over
                continue
        n_tensors = len(reader.tensors)
    except ModelFileError:
        raise
    except Exception as exc:  # noqa: BLE001 - the reader raises many types on corrupt input
        raise ModelFileError(f"{path} is not a readable GGUF ({type(exc).__name__}: {exc})") from exc
    template = fields.get("tokenizer.chat_template")
    return {
        "version": version,
        "architecture": fields.get("general.architecture"),
        "file_type": fields.get("general.file_type"),
        "pre_tokenizer": fields.get("tokenizer.ggml.pre"),
        "chat_template": template,
        "chat_template_sha256": sha256_text(template) if isinstance(template, str) else None,
        "bos_token_id": fields.get("tokenizer.ggml.bos_token_id"),
        "eos_token_id": fields.get("tokenizer.ggml.eos_token_id"),
        "padding_token_id": fields.get("tokenizer.ggml.padding_token_id"),
        "add_bos_token": fields.get("tokenizer.ggml.add_bos_token"),
        "adapter_type": fields.get("adapter.type"),
        "tensor_count": n_tensors,
        "fields": fields,
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
        raise ModelFileError(f"{src} has GGUF version {version}; only v3 -> v2 is a header-only change")
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
